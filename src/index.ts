export * from './tensor/index';
