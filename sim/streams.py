"""One random stream per replicate, so replicates advanced in lockstep stay independent runs.

Every array the model draws has a leading replicate axis. :class:`ReplicateStreams` fills row ``r``
from replicate ``r``'s own generator, and draws for a replicate only where it is asked to
(``where``), exactly as a run of that seed alone would. Hence replicate ``r`` of a lockstep model is
the same run as ``HedgingModel(scenario, seed=seeds[r])``, whichever replicates it shares a model
with: a sweep can group runs into chunks of any size and get identical results (L'Ecuyer et al.
2017, "Random numbers for parallel computers", on one stream per simulation run).

Replicate 0's generator is the Mesa model's own ``model.rng``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MAX_SEED = 2**63 - 1  # largest root seed: seeds are stored in int64 columns (series.csv, meta.json)


def child_seed(root: int, *key: int, dtype: type = np.uint32) -> int:
    """The seed of the root SeedSequence's child with spawn key ``key`` (numpy's own scheme for
    independent streams: ``SeedSequence(root).spawn(n)[i]`` is the child with key ``(i,)``)."""
    return int(np.random.SeedSequence(root, spawn_key=key).generate_state(1, dtype=dtype)[0])


def replicate_seeds(seed: int, replicates: int) -> list[int]:
    """Seeds for R replicates: the root seed first, then its SeedSequence's children 0..R-2."""
    return [int(seed)] + [child_seed(seed, i) for i in range(replicates - 1)]


class ReplicateStreams:
    """Independent generators, one per replicate, drawn as one ``(R, ...)`` array.

    Args:
        generators: one ``numpy.random.Generator`` per replicate.
    """

    def __init__(self, generators: Sequence[np.random.Generator]) -> None:
        self.generators = list(generators)

    @classmethod
    def from_seeds(cls, seeds: Sequence[int], first: np.random.Generator | None = None) -> ReplicateStreams:
        """Streams seeded with ``seeds``; ``first`` (e.g. the Mesa model's rng) serves replicate 0."""
        gens = [np.random.default_rng(s) for s in seeds[1:]]
        return cls([first if first is not None else np.random.default_rng(seeds[0]), *gens])

    def _draw(self, method: str, size: int | tuple[int, ...], where: np.ndarray | None,
              fill: float, **kwargs) -> np.ndarray:
        shape = (size,) if isinstance(size, int | np.integer) else tuple(size)
        if shape[0] != len(self.generators):
            raise ValueError(f"leading axis {shape[0]} != {len(self.generators)} replicates")
        out = np.full(shape, fill, dtype=float)
        rows = range(len(self.generators)) if where is None else np.flatnonzero(where)
        per_row = {k: v for k, v in kwargs.items() if np.ndim(v) > 0}  # (R,) parameters: row r's value
        for r in rows:
            args = {**kwargs, **{k: v[r] for k, v in per_row.items()}} if per_row else kwargs
            out[r] = getattr(self.generators[r], method)(size=shape[1:], **args)
        return out

    def random(self, size: int | tuple[int, ...], where: np.ndarray | None = None) -> np.ndarray:
        """Uniform on [0, 1); rows outside ``where`` are NaN and consume nothing."""
        return self._draw("random", size, where, np.nan)

    def uniform(self, low: float | np.ndarray, high: float | np.ndarray, size: int | tuple[int, ...],
                where: np.ndarray | None = None) -> np.ndarray:
        """Uniform on [low, high); ``low``/``high`` may be ``(R,)`` arrays (row r uses its own)."""
        return self._draw("uniform", size, where, np.nan, low=low, high=high)

    def normal(self, loc: float, scale: float, size: int | tuple[int, ...],
               where: np.ndarray | None = None) -> np.ndarray:
        return self._draw("normal", size, where, np.nan, loc=loc, scale=scale)

    def gumbel(self, size: int | tuple[int, ...], where: np.ndarray | None = None) -> np.ndarray:
        return self._draw("gumbel", size, where, np.nan)
