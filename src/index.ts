export * from './tensor/index';
export * from './nn/index';
export * from './optim/index';
export * from './data/index';
export * from './train/index';
export * from './metrics/index';
export * from './models/index';
export * from './io/index';
