/**
 * The library's version, as in its package.json (a test keeps the two equal). Audit records and
 * model cards carry it.
 * @example
 * typeof VERSION; // 'string'
 * @category Tensor
 */
export const VERSION = '0.1.0';
