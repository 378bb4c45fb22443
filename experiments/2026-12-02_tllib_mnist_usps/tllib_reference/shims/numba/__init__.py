"""Stand-in for ``numba``, which this project does not install.

``import tllib`` imports ``tllib.ranking.logme`` (LogME model ranking), whose one compiled
helper is decorated with ``@njit``. Nothing in the domain-adaptation scripts calls it; here
``njit`` returns the function uncompiled (same results, only slower, were it ever called).
"""


def njit(*args, **kwargs):
    if len(args) == 1 and callable(args[0]) and not kwargs:
        return args[0]
    return lambda f: f


jit = njit
