"""PCA to two components, and Pol.is's sparsity-aware projection.

Pol.is fills each missing vote with its statement's mean, centres the matrix, and finds the top
two principal components by power iteration (100 rounds, deflating after the first). Filling
with the mean and then centring puts a zero exactly where a vote is missing, so the centred
matrix ``Xc`` is as sparse as the votes: ``Xc = V - M diag(mu)`` on the voted cells. heard never
builds it: the covariance product ``Xc^T Xc w`` is four sparse products, and the top two
eigenvectors come from Lanczos (``eigsh``) on a cold start, or from a few rounds of block power
iteration started from the previous components on an update (what Pol.is's own warm start does).
Both converge to the same subspace Pol.is's power iteration converges to.

Moderated-out statements: Pol.is sets their whole column to 0, so they have no variance, add
nothing to the components, and count as a vote for everyone when the projection is scaled.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.linalg
from scipy import sparse
from scipy.sparse.linalg import LinearOperator, eigsh

N_COMPONENTS = 2
_DENSE_BELOW = 400  # statements; below this an exact dense eigendecomposition is cheaper
_WARM_ROUNDS = 60
_WARM_TOLERANCE = 1e-7


def column_means(values: sparse.csr_matrix, voted: sparse.csr_matrix) -> np.ndarray:
    """Each statement's mean vote over those who voted on it (0 with no votes)."""
    totals = np.asarray(values.sum(axis=0)).ravel()
    counts = np.asarray(voted.sum(axis=0)).ravel()
    return np.divide(totals, counts, out=np.zeros_like(totals), where=counts > 0)


class _Covariance:
    """``w -> Xc^T Xc w`` for the centred, mean-filled matrix, without building it."""

    def __init__(self, values: sparse.csr_matrix, voted: sparse.csr_matrix, mu: np.ndarray):
        self.values, self.voted, self.mu = values, voted, mu
        self.values_t, self.voted_t = values.T.tocsr(), voted.T.tocsr()

    def centred_times(self, w: np.ndarray) -> np.ndarray:
        """``Xc @ w`` (w: statements x c)."""
        return self.values @ w - self.voted @ (self.mu[:, None] * w)

    def centred_t_times(self, y: np.ndarray) -> np.ndarray:
        """``Xc^T @ y`` (y: participants x c)."""
        return self.values_t @ y - self.mu[:, None] * (self.voted_t @ y)

    def __call__(self, w: np.ndarray) -> np.ndarray:
        return self.centred_t_times(self.centred_times(w))

    def dense(self) -> np.ndarray:
        """``Xc^T Xc`` as a dense matrix, by one sparse product (for narrow matrices)."""
        xc = (self.values - self.voted.multiply(self.mu[None, :])).tocsr()
        return (xc.T @ xc).toarray()


def _orient(comps: np.ndarray, previous: np.ndarray | None) -> np.ndarray:
    """Eigenvectors have no sign of their own. Keep the previous map's orientation, so the map
    does not flip between updates; on a first computation point each component the way Pol.is's
    all-positive random start would (towards the sum of its entries)."""
    for i, comp in enumerate(comps):
        if previous is not None and i < len(previous) and len(previous[i]) == len(comp):
            reference = float(comp @ previous[i])
        else:
            reference = float(comp.sum())
        if reference < 0:
            comps[i] = -comp
    return comps


def components(
    values: sparse.csr_matrix,
    voted: sparse.csr_matrix,
    mu: np.ndarray,
    previous: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The top two principal components (2 x statements) and their eigenvalues.

    ``previous`` (the last components, padded with zeros for new statements) warm-starts block
    power iteration; without it, Lanczos or a dense solve gives the exact answer.
    """
    width = values.shape[1]
    comps = np.zeros((N_COMPONENTS, width))
    eigenvalues = np.zeros(N_COMPONENTS)
    if width == 0 or values.shape[0] == 0:
        return comps, eigenvalues
    cov = _Covariance(values, voted, mu)
    usable = min(N_COMPONENTS, width, values.shape[0])
    warm = previous is not None and previous.shape == comps.shape and np.any(previous)
    if width < _DENSE_BELOW:
        matrix = cov.dense()
        if warm and usable == N_COMPONENTS:
            comps[:], eigenvalues[:] = _block_power(matrix.__matmul__, previous)
        else:
            vals, vecs = scipy.linalg.eigh(matrix, subset_by_index=[width - usable, width - 1])
            order = np.argsort(vals)[::-1]
            comps[:usable] = vecs[:, order].T
            eigenvalues[:usable] = vals[order]
    elif warm:
        comps[:], eigenvalues[:] = _block_power(cov, previous)
    else:
        op = LinearOperator((width, width), matvec=lambda w: cov(w.reshape(-1, 1)).ravel())
        start = np.ones(width) / np.sqrt(width)
        vals, vecs = eigsh(op, k=usable, which="LA", v0=start, tol=1e-10)
        order = np.argsort(vals)[::-1]
        comps[:usable] = vecs[:, order].T
        eigenvalues[:usable] = vals[order]
    eigenvalues = np.maximum(eigenvalues, 0.0)
    comps[eigenvalues <= 1e-12 * max(1.0, eigenvalues.max())] = 0.0
    return _orient(comps, previous), eigenvalues


def _block_power(
    cov: Callable[[np.ndarray], np.ndarray], start: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Subspace iteration from the previous components until the subspace stops moving."""
    q, _ = np.linalg.qr(start.T)
    for _round in range(_WARM_ROUNDS):
        z = cov(q)
        q_next, _ = np.linalg.qr(z)
        # Rayleigh-Ritz inside the 2-d subspace gives the components, ordered.
        small = q_next.T @ cov(q_next)
        vals, vecs = np.linalg.eigh(small)
        q_next = q_next @ vecs[:, ::-1]
        moved = 1.0 - abs(np.linalg.det(q.T @ q_next))
        q = q_next
        if moved < _WARM_TOLERANCE:
            break
    return q.T.copy(), vals[::-1].copy()


def project(
    values: sparse.csr_matrix,
    voted: sparse.csr_matrix,
    mu: np.ndarray,
    comps: np.ndarray,
    moderated_out: np.ndarray,
) -> np.ndarray:
    """Each participant's place on the map (participants x 2), Pol.is's sparsity-aware way.

    Only the statements a person voted on count, and the point is pushed out by
    ``sqrt(statements / votes)``, so someone who voted on few statements is not pulled into the
    middle by the ones they never saw. Moderated-out columns count as a vote for everyone (Pol.is
    zeroes them) but add nothing to the position.
    """
    kept = comps.copy()
    kept[:, moderated_out] = 0.0
    raw = values @ kept.T - voted @ (mu[:, None] * kept.T)
    held = np.asarray(voted.sum(axis=1)).ravel()
    if len(moderated_out):
        already = np.asarray(voted[:, moderated_out].sum(axis=1)).ravel()
        held = held - already + len(moderated_out)
    scale = np.sqrt(values.shape[1] / np.maximum(held, 1))
    return raw * scale[:, None]


def statement_projections(mu: np.ndarray, comps: np.ndarray, agree: int = 1) -> np.ndarray:
    """Where a person who agreed with only this statement would sit (statements x 2).

    Pol.is projects each statement as a participant with a single agree; the length of that
    point is the statement's *extremity*, how strongly it pulls people apart on the map.
    """
    width = len(mu)
    return (np.sqrt(width) * (agree - mu))[:, None] * comps.T
