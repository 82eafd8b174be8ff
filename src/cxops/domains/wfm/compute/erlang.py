"""Queueing formulas for staffing: Erlang B, Erlang C (M/M/N) and Erlang A (M/M/N+M, with abandonment).

Every function takes numpy arrays (or scalars) and broadcasts, so thousands of intervals are computed at once.
Time units only need to agree (seconds throughout the service layer).

References:
    A. K. Erlang (1917); G. Koole, "Call Center Optimization" (2013), ch. 5;
    O. Garnett, A. Mandelbaum, M. Reiman, "Designing a call center with impatient customers", M&SOM 4(3), 2002.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import betainc, gammaln, logsumexp

FloatArray = NDArray[np.float64]
#: Ties in the targets are decided with this slack so 0.85 == 10/11.7647... does not flip on rounding.
EPS = 1e-12


def erlang_b(n: ArrayLike, a: ArrayLike) -> FloatArray:
    """Blocking probability of M/M/N/N with the stable recursion.

    B(0) = 1, B(k) = A B(k-1) / (k + A B(k-1)).

    Args:
        n: number of servers (integers >= 0), broadcast against `a`.
        a: offered load in Erlangs (arrival rate x mean handle time).

    Returns:
        B(N, A) per element.
    """
    n_arr, a_arr = np.broadcast_arrays(np.asarray(n, dtype=np.int64), np.asarray(a, dtype=np.float64))
    b = np.ones(n_arr.shape, dtype=np.float64)
    top = int(n_arr.max()) if n_arr.size else 0
    for k in range(1, top + 1):
        step = a_arr * b / (k + a_arr * b)
        b = np.where(k <= n_arr, step, b)
    return b


def erlang_c_from_b(n: ArrayLike, a: ArrayLike, b: ArrayLike) -> FloatArray:
    """Probability of waiting C(N, A) = N B / (N - A (1 - B)); 1 when the queue is unstable (A >= N)."""
    n_arr = np.asarray(n, dtype=np.float64)
    a_arr = np.asarray(a, dtype=np.float64)
    b_arr = np.asarray(b, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = n_arr * b_arr / (n_arr - a_arr * (1.0 - b_arr))
    return np.where(n_arr > a_arr, c, 1.0)


def erlang_c(n: ArrayLike, a: ArrayLike) -> FloatArray:
    """Probability that an arrival waits in M/M/N (Erlang C)."""
    return erlang_c_from_b(n, a, erlang_b(n, a))


def service_level_c(c: ArrayLike, n: ArrayLike, a: ArrayLike, t_over_aht: ArrayLike) -> FloatArray:
    """Share answered within t: SL = 1 - C exp(-(N - A) t / AHT); 0 when unstable."""
    n_arr, a_arr = np.asarray(n, dtype=np.float64), np.asarray(a, dtype=np.float64)
    sl = 1.0 - np.asarray(c) * np.exp(-(n_arr - a_arr) * np.asarray(t_over_aht, dtype=np.float64))
    return np.where(n_arr > a_arr, sl, 0.0)


def asa_over_aht_c(c: ArrayLike, n: ArrayLike, a: ArrayLike) -> FloatArray:
    """Average speed of answer in units of AHT: ASA / AHT = C / (N - A); inf when unstable."""
    n_arr, a_arr = np.asarray(n, dtype=np.float64), np.asarray(a, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(c) / (n_arr - a_arr)
    return np.where(n_arr > a_arr, out, np.inf)


@dataclass(frozen=True, slots=True)
class ErlangAResult:
    """Steady-state measures of M/M/N+M for one (load, agents) pair; times in the caller's unit."""

    p_wait: float
    p_abandon: float
    occupancy: float
    mean_wait: float
    mean_queue_length: float
    service_level: float


def _erlang_a_distribution(lam: float, mu: float, theta: float, n: int) -> tuple[FloatArray, FloatArray]:
    """Log stationary probabilities of states 0..N-1 and of the queue states N, N+1, ... (truncated).

    The birth-death chain has birth rate lam and death rate min(k, N) mu + max(k - N, 0) theta. The tail is
    truncated once a state is more than e^-60 below the largest, which is far below double precision.
    """
    a = lam / mu
    k = np.arange(n + 1, dtype=np.float64)
    log_low = k * np.log(a) - gammaln(k + 1) if a > 0 else np.where(k == 0, 0.0, -np.inf)
    peak = (lam - n * mu) / theta if theta > 0 else 0.0
    size = int(max(64, 2 * peak + 64))
    while True:
        j = np.arange(1, size + 1, dtype=np.float64)
        steps = np.log(lam) - np.log(n * mu + j * theta)
        log_q = log_low[-1] + np.concatenate(([0.0], np.cumsum(steps)))
        if log_q[-1] < max(log_low.max(), log_q.max()) - 60 or size > 2_000_000:
            break
        size *= 2
    return log_low[:-1], log_q


def erlang_a(lam: float, aht: float, patience: float, n: int, t: float) -> ErlangAResult:
    """Measures of the Erlang A (Palm) queue M/M/N+M.

    With c = N mu / theta and x = 1 - exp(-theta t), an arrival that finds m callers ahead is served within t
    with probability c / (c + m + 1) * I_x(m + 1, c + 1) (its virtual wait is hypoexponential with rates
    theta (c + j), j = 0..m, i.e. -ln(1 - U) / theta with U ~ Beta(m + 1, c); it must also outlast its own
    exponential patience). PASTA gives the all-arrivals measures; P(abandon) = theta E[Lq] / lambda.

    Args:
        lam: arrival rate (per time unit).
        aht: mean handle time (same unit).
        patience: mean patience 1/theta (same unit); must be > 0.
        n: agents (>= 1).
        t: service-level threshold (same unit).

    Returns:
        ErlangAResult with P(wait), P(abandon), occupancy, mean wait and queue length over all arrivals,
        and P(served within t) over all arrivals.
    """
    mu, theta = 1.0 / aht, 1.0 / patience
    log_low, log_q = _erlang_a_distribution(lam, mu, theta, n)
    log_norm = logsumexp(np.concatenate((log_low, log_q)))
    p_low, p_q = np.exp(log_low - log_norm), np.exp(log_q - log_norm)
    m = np.arange(p_q.size, dtype=np.float64)
    lq = float(np.dot(m, p_q))
    p_abandon = theta * lq / lam
    c = n * mu / theta
    x = -np.expm1(-theta * t)
    served_within = c / (c + m + 1.0) * betainc(m + 1.0, c + 1.0, x) if t > 0 else np.zeros_like(m)
    return ErlangAResult(
        p_wait=float(p_q.sum()),
        p_abandon=p_abandon,
        occupancy=lam * (1.0 - p_abandon) / (n * mu),
        mean_wait=lq / lam,
        mean_queue_length=lq,
        service_level=float(p_low.sum() + np.dot(p_q, served_within)),
    )
