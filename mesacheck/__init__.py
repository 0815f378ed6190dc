"""mesacheck: derive, integrate, simulate and check the claims of Zheng et al. (NeurIPS 2024),
"On Mesa-Optimization in Autoregressively Trained Transformers: Emergence and Capability".

The Python API (see :mod:`mesacheck.api`)::

    import mesacheck as mc
    law = mc.dist("laplace:b=1")
    r = mc.derive("limit", law, d=5, T=100)     # a Derivation: r.value("ab_limit"), r.latex()
    rep = mc.verify("C2", dist=law)              # verdicts of the claim's checks
    res = mc.flow(law, d=5, T=100, init=(0.5, 1.5))

Layers (each imports only the ones before it):
  setting  -> symbolic -> numeric -> checks -> output / cli  (the API sits beside cli)
"""
__version__ = "0.1.0"

from mesacheck.api import VerifyReport, derive, dist, flow, latex, latex_document, text, verify  # noqa: E402
from mesacheck.errors import MesacheckError  # noqa: E402

__all__ = ["dist", "derive", "verify", "flow", "text", "latex", "latex_document", "VerifyReport", "MesacheckError",
           "__version__"]
