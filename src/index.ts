export * from './tensor/index';
export * from './nn/index';
export * from './train/index';
export * from './data/index';
