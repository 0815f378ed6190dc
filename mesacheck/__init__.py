"""mesacheck: derive, integrate, simulate and check the claims of Zheng et al. (NeurIPS 2024),
"On Mesa-Optimization in Autoregressively Trained Transformers: Emergence and Capability".

Layers (each imports only the ones before it):
  setting  -> symbolic -> numeric -> checks -> output / cli
"""
__version__ = "0.1.0"
