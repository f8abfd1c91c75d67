/**
 * `tensorkit/compress`: model compression with PyTorch's semantics and camelCase names —
 * quantization (torch.ao.quantization), pruning (torch.nn.utils.prune) and knowledge
 * distillation. See docs/compress.md.
 * @module compress
 */
export {};
