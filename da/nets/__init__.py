"""Plain ``nn.Module``s: backbones, heads, discriminators, gradient reversal."""
