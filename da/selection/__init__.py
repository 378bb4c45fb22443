"""Label-free model selection: validators scored at every validation."""
