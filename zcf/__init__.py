"""Composition root of the product: the ``zcf`` console script, ``zcf check`` and ``zcf demo``.

The only package that knows every role; the shared core (``iiot_core``) and the service
packages never import it.
"""

__version__ = "0.1.0"
