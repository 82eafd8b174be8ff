"""Statistics for proof-of-value pilots: tests, intervals, sample sizes and an alpha-spending guard.

References:
    Newcombe, R. G. (1998). Interval estimation for the difference between independent proportions.
        Statistics in Medicine 17, 873-890 (method 10: hybrid Wilson score interval).
    Welch, B. L. (1947). The generalization of Student's problem when several different population
        variances are involved. Biometrika 34, 28-35.
    Lan, K. K. G. & DeMets, D. L. (1983). Discrete sequential boundaries for clinical trials.
        Biometrika 70, 659-663 (O'Brien-Fleming-type spending function).
    Rao, J. N. K. & Scott, A. J. (1992). A simple method for the analysis of clustered binary data.
        Biometrics 48, 577-585 (design-effect adjusted counts).
    Donner, A. & Klar, N. (2000). Design and Analysis of Cluster Randomization Trials. Arnold (ch. 5-6: the
        ratio estimator's linearisation variance, and the design effect 1 + (m - 1) ICC for sample sizes).
    Ridout, M. S., Demetrio, C. G. B. & Firth, D. (1999). Estimating intraclass correlation for binary data.
        Biometrics 55, 137-148 (the one-way ANOVA estimator with unequal cluster sizes).

Pilots randomise customers, not contacts, and one customer's contacts are correlated (repeat contacts, the
same customer's tendencies), so the comparisons a look makes are clustered by customer: `clustered_proportions`
and `clustered_means` take each contact's value with its customer id. The count-based `two_proportions` and
`welch` remain the independent-observations tests (and are what the clustered ones reduce to exactly when every
customer has a single contact).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats


@dataclass(frozen=True, slots=True)
class Comparison:
    """Treatment minus control: estimate, confidence interval and two-sided p-value."""

    metric: str
    treatment: float
    control: float
    diff: float
    ci_low: float
    ci_high: float
    p_value: float
    n_treatment: int
    n_control: int
    test: str
    #: variance of the difference relative to treating every contact as independent (1.0: no clustering)
    design_effect: float = 1.0
    #: customers (randomisation units) per arm; None for the independent-observations tests
    clusters_treatment: int | None = None
    clusters_control: int | None = None


def wilson_interval(x: float, n: float, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval for a proportion x/n (x and n may be design-effect adjusted, so not integers)."""
    if n <= 0:
        raise ValueError("a proportion needs at least one observation")
    z = stats.norm.ppf(1 - alpha / 2)
    p = x / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def two_proportions(x_t: int, n_t: int, x_c: int, n_c: int, *, alpha: float = 0.05, metric: str = "rate") -> Comparison:
    """Two-proportion z-test (pooled) with Newcombe's hybrid score interval for p_t - p_c.

    z = (p_t - p_c) / sqrt(p (1 - p) (1/n_t + 1/n_c)), p = (x_t + x_c) / (n_t + n_c). Every observation is taken
    as independent: for contacts of randomised customers use `clustered_proportions`.
    """
    if n_t <= 0 or n_c <= 0:
        raise ValueError("both arms need at least one observation (an arm is empty)")
    if not (0 <= x_t <= n_t and 0 <= x_c <= n_c):
        raise ValueError("successes must lie between 0 and the arm size")
    return _adjusted_proportions(x_t, n_t, x_c, n_c, 1.0, 1.0, alpha=alpha, metric=metric)


def _adjusted_proportions(
    x_t: float, n_t: float, x_c: float, n_c: float, d_t: float, d_c: float, *, alpha: float, metric: str
) -> Comparison:
    """The pooled z-test and Newcombe interval on counts divided by each arm's design effect (Rao & Scott 1992).

    Dividing x and n by d keeps the arm's rate and multiplies its binomial variance by d, so the z-statistic (which
    the sequential boundaries use) and the interval both carry the clustered variance; with d = 1 this is exactly
    the independent-observations test.
    """
    p_t, p_c = float(x_t / n_t), float(x_c / n_c)
    ex_t, en_t, ex_c, en_c = x_t / d_t, n_t / d_t, x_c / d_c, n_c / d_c
    pooled = (ex_t + ex_c) / (en_t + en_c)
    se = math.sqrt(pooled * (1 - pooled) * (1 / en_t + 1 / en_c))
    p_value = 1.0 if se == 0 else float(2 * stats.norm.sf(abs(p_t - p_c) / se))
    l_t, u_t = wilson_interval(ex_t, en_t, alpha)
    l_c, u_c = wilson_interval(ex_c, en_c, alpha)
    diff = p_t - p_c
    low = diff - math.sqrt((p_t - l_t) ** 2 + (u_c - p_c) ** 2)
    high = diff + math.sqrt((u_t - p_t) ** 2 + (p_c - l_c) ** 2)
    naive = p_t * (1 - p_t) / n_t + p_c * (1 - p_c) / n_c
    deff = (d_t * p_t * (1 - p_t) / n_t + d_c * p_c * (1 - p_c) / n_c) / naive if naive > 0 else 1.0
    return Comparison(metric, p_t, p_c, diff, low, high, p_value, round(n_t), round(n_c), "two-proportion z", deff)


def cluster_totals(values: np.ndarray, clusters: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-cluster sums of `values` and counts of observations (clusters in sorted order of their ids)."""
    v = np.asarray(values, dtype=float)
    _, inverse, counts = np.unique(np.asarray(clusters), return_inverse=True, return_counts=True)
    return np.bincount(inverse.ravel(), weights=v, minlength=counts.size), counts.astype(float)


def ratio_variance(sums: np.ndarray, counts: np.ndarray) -> tuple[float, float]:
    """Ratio estimate r = sum(y_i) / sum(n_i) over clusters i and its linearisation (cluster-robust) variance.

    var(r) = G / (G - 1) * sum((y_i - r n_i)^2) / (sum n_i)^2 with G clusters; with one observation per cluster it
    is s^2 / n, the usual variance of a mean (s^2 with ddof 1).
    """
    y, n = np.asarray(sums, dtype=float), np.asarray(counts, dtype=float)
    g = y.size
    if g < 2:
        raise ValueError("a clustered comparison needs at least two customers in each arm")
    total = float(n.sum())
    r = float(y.sum()) / total
    return r, g / (g - 1) * float(np.sum((y - r * n) ** 2)) / total**2


def clustered_proportions(
    success_t: np.ndarray,
    clusters_t: np.ndarray,
    success_c: np.ndarray,
    clusters_c: np.ndarray,
    *,
    alpha: float = 0.05,
    metric: str = "rate",
) -> Comparison:
    """Difference of contact-level rates with customers as clusters: the Rao-Scott adjusted two-proportion test.

    Each arm's rate is sum(x_i) / sum(n_i) over its customers i (x_i successes of n_i contacts) and its variance the
    ratio estimator's cluster-robust variance (`ratio_variance`). The arm's design effect d is that variance over
    the binomial variance p (1 - p) / (N - 1) of N independent contacts (both with their small-sample factor,
    G / (G - 1) and N / (N - 1)), so d is exactly 1 when every customer has one contact; then the pooled z-test
    and Newcombe's interval run on x / d successes of n / d contacts (`_adjusted_proportions`). The result is
    the `two_proportions` test, whose variance is the clustered one: identical to it with one contact per
    customer, wider when customers' contacts are correlated. An arm whose rate is 0 or 1 has d = 1.
    """
    arms = []
    for success, clusters in ((success_t, clusters_t), (success_c, clusters_c)):
        x = np.asarray(success, dtype=float)
        if x.size == 0:
            raise ValueError("both arms need at least one observation (an arm is empty)")
        if np.any((x != 0) & (x != 1)):
            raise ValueError("successes must be 0 or 1 per contact")
        sums, counts = cluster_totals(x, np.asarray(clusters))
        p, var = ratio_variance(sums, counts)
        n = float(x.size)
        binomial = p * (1 - p) / (n - 1) if n > 1 else 0.0
        arms.append((float(x.sum()), n, var / binomial if binomial > 0 else 1.0, sums.size))
    (x_t, n_t, d_t, g_t), (x_c, n_c, d_c, g_c) = arms
    cmp = _adjusted_proportions(x_t, n_t, x_c, n_c, d_t, d_c, alpha=alpha, metric=metric)
    return replace(cmp, test="two-proportion z, clustered by customer", clusters_treatment=g_t, clusters_control=g_c)


def welch(treatment: np.ndarray, control: np.ndarray, *, alpha: float = 0.05, metric: str = "mean") -> Comparison:
    """Welch's unequal-variance t-test with its Welch-Satterthwaite confidence interval for the mean difference."""
    t, c = np.asarray(treatment, dtype=float), np.asarray(control, dtype=float)
    if t.size < 2 or c.size < 2:
        raise ValueError("Welch's test needs at least two observations in each arm")
    vt, vc = t.var(ddof=1) / t.size, c.var(ddof=1) / c.size
    diff = float(t.mean() - c.mean())
    se = math.sqrt(vt + vc)
    if se == 0:
        return Comparison(
            metric,
            float(t.mean()),
            float(c.mean()),
            diff,
            diff,
            diff,
            1.0 if diff == 0 else 0.0,
            int(t.size),
            int(c.size),
            "Welch t",
        )
    df = (vt + vc) ** 2 / (vt**2 / (t.size - 1) + vc**2 / (c.size - 1))
    q = stats.t.ppf(1 - alpha / 2, df)
    p_value = float(2 * stats.t.sf(abs(diff) / se, df))
    return Comparison(
        metric,
        float(t.mean()),
        float(c.mean()),
        diff,
        diff - q * se,
        diff + q * se,
        p_value,
        int(t.size),
        int(c.size),
        "Welch t",
    )


def clustered_means(
    values_t: np.ndarray,
    clusters_t: np.ndarray,
    values_c: np.ndarray,
    clusters_c: np.ndarray,
    *,
    alpha: float = 0.05,
    metric: str = "mean",
) -> Comparison:
    """Difference of contact-level means with customers as clusters: Welch's t with cluster-robust variances.

    Each arm's mean is sum(y_i) / sum(n_i) over its customers (the mean per contact, as `welch` estimates) with the
    ratio estimator's cluster-robust variance (`ratio_variance`), and the t reference has Welch-Satterthwaite
    degrees of freedom on the customers (G - 1 per arm, not contacts). With one contact per customer this is
    exactly `welch`.

    Why not Welch on customer means: that answers another question (the mean of a typical customer, each customer
    weighing the same however often they call), while handle time and CSAT matter per contact (cost and
    experience scale with contacts); the ratio estimator keeps the per-contact estimand and only makes its
    variance honest about the unit of randomisation. With very unequal contacts per customer, customer means
    would also be noisier (a one-contact customer would weigh as much as a ten-contact one).
    """
    arms = []
    for values, clusters in ((values_t, clusters_t), (values_c, clusters_c)):
        y = np.asarray(values, dtype=float)
        sums, counts = cluster_totals(y, np.asarray(clusters))
        mean, var = ratio_variance(sums, counts)
        naive = float(y.var(ddof=1)) / y.size if y.size > 1 else 0.0
        arms.append((mean, var, naive, sums.size, y.size))
    (m_t, v_t, naive_t, g_t, n_t), (m_c, v_c, naive_c, g_c, n_c) = arms
    diff, se = m_t - m_c, math.sqrt(v_t + v_c)
    deff = (v_t + v_c) / (naive_t + naive_c) if naive_t + naive_c > 0 else 1.0
    test = "Welch t, clustered by customer"
    if se == 0:
        p_value, low, high = (1.0 if diff == 0 else 0.0), diff, diff
    else:
        df = (v_t + v_c) ** 2 / (v_t**2 / (g_t - 1) + v_c**2 / (g_c - 1))
        q = stats.t.ppf(1 - alpha / 2, df)
        p_value, low, high = float(2 * stats.t.sf(abs(diff) / se, df)), diff - q * se, diff + q * se
    return Comparison(metric, m_t, m_c, diff, float(low), float(high), p_value, n_t, n_c, test, float(deff), g_t, g_c)


def bootstrap_diff_ci(
    treatment: np.ndarray,
    control: np.ndarray,
    *,
    alpha: float = 0.05,
    n_boot: int = 2000,
    seed: int = 0,
    clusters_t: np.ndarray | None = None,
    clusters_c: np.ndarray | None = None,
) -> tuple[float, float]:
    """Percentile bootstrap interval for mean(treatment) - mean(control), resampling each arm.

    With cluster ids for both arms it is a cluster bootstrap: whole customers are resampled (the unit of
    randomisation) and each replicate's mean is its contacts' total over its contacts' count.
    """
    t, c = np.asarray(treatment, dtype=float), np.asarray(control, dtype=float)
    if t.size == 0 or c.size == 0:
        raise ValueError("both arms need observations for a bootstrap interval")
    rng = np.random.default_rng(seed)
    if clusters_t is not None and clusters_c is not None:
        bt, bc = (_cluster_boot(*cluster_totals(v, k), rng, n_boot) for v, k in ((t, clusters_t), (c, clusters_c)))
    else:
        bt = t[rng.integers(0, t.size, size=(n_boot, t.size))].mean(axis=1)
        bc = c[rng.integers(0, c.size, size=(n_boot, c.size))].mean(axis=1)
    lo, hi = np.quantile(bt - bc, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


def _cluster_boot(sums: np.ndarray, counts: np.ndarray, rng: np.random.Generator, n_boot: int) -> np.ndarray:
    pick = rng.integers(0, sums.size, size=(n_boot, sums.size))
    return np.asarray(sums[pick].sum(axis=1) / counts[pick].sum(axis=1))


def design_effect_from_icc(contacts_per_customer: float, icc: float) -> float:
    """Variance inflation of a contact-level rate when customers are randomised: 1 + (m - 1) ICC.

    m is the mean contacts per customer (with unequal numbers, sum(n_i^2) / sum(n_i) is the exact weight) and ICC
    the intra-customer correlation of the outcome.
    """
    if contacts_per_customer < 1:
        raise ValueError("a customer in the pilot has at least one contact")
    if not (-1 < icc <= 1):
        raise ValueError("the intra-customer correlation must lie in (-1, 1]")
    return max(1.0 + (contacts_per_customer - 1.0) * icc, 1e-9)


#: the intra-customer correlation an estimate is clamped below (1 exactly would make every contact a copy)
MAX_ICC = 0.999


@dataclass(frozen=True, slots=True)
class ClusterEstimate:
    """How a contact-level outcome clusters by customer in a sample of contacts (e.g. a pilot's pre-period)."""

    contacts: int
    customers: int
    #: mean contacts per customer, N / G
    contacts_per_customer: float
    #: contact-weighted contacts per customer, sum(n_i^2) / sum(n_i): the m of the design effect
    weighted_contacts_per_customer: float
    #: one-way ANOVA intra-customer correlation clamped to [0, MAX_ICC]; None when no customer has two contacts
    icc: float | None
    design_effect: float


def anova_icc(values: np.ndarray, clusters: np.ndarray) -> float:
    """One-way ANOVA estimate of the intra-cluster correlation of `values` (0/1 or any numbers), clamped to [0, 1).

    With G clusters of n_i observations (N in all), cluster means y_i and grand mean y:
    MSB = sum(n_i (y_i - y)^2) / (G - 1), MSW = sum((y_ij - y_i)^2) / (N - G), n0 = (N - sum(n_i^2) / N) / (G - 1)
    (the cluster size that makes unequal sizes comparable) and ICC = (MSB - MSW) / (MSB + (n0 - 1) MSW)
    (Ridout et al. 1999, the "ANOVA" estimator; for binary outcomes it performs as well as the likelihood-based
    ones and needs no iteration). The raw estimate can be negative (less alike than chance), which for planning
    means no clustering, so it is clamped at 0; it is clamped below 1 at MAX_ICC. Identical values everywhere
    (no variance to share out) give 0.
    """
    y = np.asarray(values, dtype=float)
    sums, counts = cluster_totals(y, np.asarray(clusters))
    g, n = sums.size, float(y.size)
    if g < 2:
        raise ValueError("an intra-customer correlation needs at least two customers")
    if n <= g:
        raise ValueError("an intra-customer correlation needs a customer with at least two contacts")
    _, inverse = np.unique(np.asarray(clusters), return_inverse=True)
    means = sums / counts
    grand = float(y.sum()) / n
    msb = float(np.sum(counts * (means - grand) ** 2)) / (g - 1)
    msw = float(np.sum((y - means[inverse.ravel()]) ** 2)) / (n - g)
    n0 = (n - float(np.sum(counts**2)) / n) / (g - 1)
    denominator = msb + (n0 - 1) * msw
    if denominator <= 0:
        return 0.0
    return min(max((msb - msw) / denominator, 0.0), MAX_ICC)


def estimate_clustering(values: np.ndarray, clusters: np.ndarray) -> ClusterEstimate:
    """Contacts per customer, intra-customer correlation and the design effect 1 + (m_w - 1) ICC they imply.

    m_w = sum(n_i^2) / sum(n_i), the contact-weighted mean cluster size, rather than the plain mean N / G: with an
    exchangeable correlation ICC the variance of the contact-level rate sum(y) / N is
    p (1 - p) / N^2 * sum(n_i (1 + (n_i - 1) ICC)) = p (1 - p) / N * (1 + (m_w - 1) ICC), so m_w is exact for
    unequal numbers of contacts, while the plain mean understates the design effect whenever a few customers
    contact often (the usual case). With one contact per customer the design effect is 1 and the ICC None.
    """
    y = np.asarray(values, dtype=float)
    if y.size == 0:
        raise ValueError("estimating the clustering needs at least one contact")
    counts = cluster_totals(y, np.asarray(clusters))[1]
    weighted = float(np.sum(counts**2) / counts.sum())
    icc = anova_icc(y, clusters) if counts.size >= 2 and y.size > counts.size else None
    deff = design_effect_from_icc(weighted, icc) if icc is not None else 1.0
    return ClusterEstimate(int(y.size), int(counts.size), float(y.size / counts.size), weighted, icc, deff)


def sample_size_two_proportions(
    p_control: float, mde: float, *, alpha: float = 0.05, power: float = 0.8, design_effect: float = 1.0
) -> int:
    """Observations (contacts) per arm to detect p_control -> p_control + mde with a two-sided test.

    n = deff (z_{1-a/2} sqrt(2 p q) + z_{1-b} sqrt(p1 q1 + p2 q2))^2 / mde^2, p = (p1 + p2) / 2, where deff is the
    design effect of randomising customers (`design_effect_from_icc`; 1.0 for independent contacts).
    """
    p1, p2 = p_control, p_control + mde
    if not (0 < p1 < 1 and 0 < p2 < 1):
        raise ValueError("baseline and baseline + effect must both lie strictly between 0 and 1")
    if mde == 0:
        raise ValueError("the minimum detectable effect must not be zero")
    if not (0 < alpha < 1 and 0 < power < 1):
        raise ValueError("alpha and power must lie strictly between 0 and 1")
    if not design_effect > 0:
        raise ValueError("the design effect must be positive")
    za, zb = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)
    pbar = (p1 + p2) / 2
    n = (za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / mde**2
    return math.ceil(n * design_effect)


def power_two_proportions(
    p_control: float, mde: float, n_per_arm: int, *, alpha: float = 0.05, design_effect: float = 1.0
) -> float:
    """Power of the two-sided two-proportion test with n_per_arm observations (contacts) in each arm.

    With a design effect the arm carries the information of n_per_arm / design_effect independent contacts.
    """
    if not design_effect > 0:
        raise ValueError("the design effect must be positive")
    p1, p2 = p_control, p_control + mde
    za = stats.norm.ppf(1 - alpha / 2)
    pbar = (p1 + p2) / 2
    n = n_per_arm / design_effect
    se0 = math.sqrt(2 * pbar * (1 - pbar) / n)
    se1 = math.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / n)
    return float(stats.norm.cdf((abs(mde) - za * se0) / se1))


def obrien_fleming_spent(fraction: float, alpha: float = 0.05) -> float:
    """Cumulative two-sided alpha spent at information fraction t: 2 - 2 Phi(z_{1-a/2} / sqrt(t))."""
    t = min(max(fraction, 1e-9), 1.0)
    return float(2 - 2 * stats.norm.cdf(stats.norm.ppf(1 - alpha / 2) / math.sqrt(t)))
