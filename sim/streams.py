"""Random numbers for every replicate in one array operation, each a pure function of its key.

Every array the model draws has a leading replicate axis. A number is not taken from a generator's
running state: it is computed from its **key** by a counter-based generator, Philox4x32-10 (Salmon,
Moraes, Dror & Shaw 2011, "Parallel random numbers: as easy as 1, 2, 3", SC'11), the same rounds
numpy's ``Philox`` uses with 32-bit words, compiled (:mod:`sim.philox`) so that all replicates and
all elements of a draw are computed in one call. Uniform numbers become Gumbel and normal by their inverse
distribution functions. The key of one number is

* the replicate's **seed** (Philox's 64-bit key, from the seed's ``SeedSequence``);
* the **month** (``model.steps``);
* the **purpose** (:class:`Purpose`) and its **label** (the state, the event kind);
* the **occurrence**: how many draws of this purpose and label this replicate made before in the month;
* the **element** of the draw (its index in the row).

Hence (L'Ecuyer, Munger, Oreshkin & Simard 2017, "Random numbers for parallel computers", on one
stream per simulation run, and Salmon et al. 2011 on counters as streams):

* replicate ``r`` of a lockstep model is the same run as ``HedgingModel(scenario, seed=seeds[r])``
  alone, whichever replicates it shares a block with: no row's numbers depend on another row, nor
  on which rows a draw's ``where`` selects;
* a draw added for one purpose does not shift the numbers of any other purpose, nor of other months;
* the same seed gives the same numbers on every machine (integer arithmetic, then one float rounding).

Mesa's ``model.rng`` stays for anything Mesa itself needs; the model's own draws all come from here.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Sequence
from enum import IntEnum

import numpy as np

MAX_SEED = 2**63 - 1  # largest root seed: seeds are stored in int64 columns (series.csv, meta.json)
MAX_MONTH = 2**24 - 1  # months fit the counter word they share with the purpose


class Purpose(IntEnum):
    """What a draw is for; part of every number's key. The values are fixed: never renumber a
    purpose (that would change its numbers); a new draw site gets a new value."""

    MOVE_CHOICE = 1  #: Gumbel noise of a state's choice of moves (label: the state)
    EVENT_STRIKES = 2  #: whether a random event strikes this month (label: the event kind)
    EVENT_SEVERITY = 3  #: a random event's severity (label: the event kind)
    CHINA_INCIDENT = 4  #: the severity of a gray-zone incident China chose
    UPGRADE_REQUEST = 5  #: a partner's answer to Vietnam's request for a higher tier (label: partner)
    PACKAGE_MERIT = 6  #: the idiosyncratic merit of each agreement in China's package
    PACKAGE_SIGNING = 7  #: Vietnam's yes/no on each agreement of China's package


def child_seed(root: int, *key: int, dtype: type = np.uint32) -> int:
    """The seed of the root SeedSequence's child with spawn key ``key`` (numpy's own scheme for
    independent streams: ``SeedSequence(root).spawn(n)[i]`` is the child with key ``(i,)``)."""
    return int(np.random.SeedSequence(root, spawn_key=key).generate_state(1, dtype=dtype)[0])


def replicate_seeds(seed: int, replicates: int) -> list[int]:
    """Seeds for R replicates: the root seed first, then its SeedSequence's children 0..R-2."""
    return [int(seed)] + [child_seed(seed, i) for i in range(replicates - 1)]


def label_key(label: str | int) -> int:
    """A label's 32-bit counter word: an int as given, a name by its CRC-32 (stable across
    versions and independent of the order of states or events in a scenario)."""
    key = zlib.crc32(label.encode()) if isinstance(label, str) else int(label)
    if not 0 <= key <= 0xFFFFFFFF:
        raise ValueError(f"label {label!r} must be a name or an integer in [0, 2**32)")
    return key


def seed_keys(seeds: Sequence[int]) -> np.ndarray:
    """``(2, R)`` Philox keys, one per replicate: two 32-bit words of each seed's SeedSequence."""
    if not seeds:
        raise ValueError("no seeds: give one per replicate")
    words = [np.random.SeedSequence(int(s)).generate_state(2, dtype=np.uint32) for s in seeds]
    return np.ascontiguousarray(np.array(words, dtype=np.uint64).T)


class ReplicateStreams:
    """The model's random numbers, all replicates at once; :meth:`of` names what a draw is for.

    Args:
        seeds: one seed per replicate.
        clock: the current month (the model's ``steps``); draws are keyed by it.
    """

    def __init__(self, seeds: Sequence[int], clock: Callable[[], int] = lambda: 0) -> None:
        self.keys = seed_keys(seeds)  # (2, R)
        self.replicates = self.keys.shape[1]
        self._clock = clock
        self._month = -1
        self._occurrences: dict[tuple[Purpose, int], np.ndarray] = {}

    def of(self, purpose: Purpose, label: str | int = 0) -> Stream:
        """The stream of one draw site: ``purpose``, and ``label`` where several share it."""
        return Stream(self, Purpose(purpose), label_key(label))

    def occurrences(self, purpose: Purpose, label: int) -> tuple[int, np.ndarray]:
        """The month, and each replicate's count of earlier draws of ``(purpose, label)`` in it
        (a live ``(R,)`` array the caller advances)."""
        month = int(self._clock())
        if not 0 <= month <= MAX_MONTH:
            raise ValueError(f"month {month} outside [0, {MAX_MONTH}]")
        if month != self._month:
            self._month, self._occurrences = month, {}
        counts = self._occurrences.setdefault((purpose, label), np.zeros(self.replicates, dtype=np.uint64))
        return month, counts


class Stream:
    """Draws for one purpose and label, shaped ``(R, ...)``. Rows outside ``where`` are NaN and
    consume nothing; the others are computed from their own keys only. With ``compact=True`` a
    draw returns only the rows ``where`` selects, ``(n, ...)`` in row order, and allocates nothing
    for the others (a package comes to ~1 % of a block's replicates in a month)."""

    def __init__(self, streams: ReplicateStreams, purpose: Purpose, label: int) -> None:
        self.streams, self.purpose, self.label = streams, purpose, label

    def _draw(self, size: int | tuple[int, ...], where: np.ndarray | None,
              transform: Callable[[np.ndarray], np.ndarray] | None = None,
              compact: bool = False) -> np.ndarray:
        """Uniforms on [0, 1) as they are, or on the open (0, 1) through ``transform``
        (:func:`sim.philox.uniforms`)."""
        from sim.philox import uniforms  # numba's import (~0.5 s) only where a model draws

        shape = (size,) if isinstance(size, int | np.integer) else tuple(size)
        if shape[0] != self.streams.replicates:
            raise ValueError(f"leading axis {shape[0]} != {self.streams.replicates} replicates")
        rows = np.arange(shape[0]) if where is None else np.flatnonzero(where)
        month, counts = self.streams.occurrences(self.purpose, self.label)
        u = uniforms(self.streams.keys, rows, counts, np.uint64(self.label), self._word(month),
                     math.prod(shape[1:]), transform is not None)
        if transform is not None:
            u = transform(u)
        if where is None or compact:
            return u.reshape((len(rows), *shape[1:]))
        out = np.full(shape, np.nan)
        out[rows] = u.reshape((len(rows), *shape[1:]))
        return out

    def _word(self, month: int) -> np.uint64:
        """The counter's last word: the month and the purpose."""
        return np.uint64((month << 8) | int(self.purpose))

    def random(self, size: int | tuple[int, ...], where: np.ndarray | None = None, *,
               compact: bool = False) -> np.ndarray:
        """Uniform on [0, 1) (multiples of 2**-53)."""
        return self._draw(size, where, compact=compact)

    def uniform(self, low: float | np.ndarray, high: float | np.ndarray, size: int | tuple[int, ...],
                where: np.ndarray | None = None) -> np.ndarray:
        """Uniform on [low, high); ``low``/``high`` may be ``(R,)`` arrays (row r uses its own)."""
        u = self.random(size, where)
        low, high = (_per_row(np.asarray(x, dtype=float), u.ndim) for x in (low, high))
        return low + (high - low) * u

    def normal(self, loc: float, scale: float, size: int | tuple[int, ...],
               where: np.ndarray | None = None, *, compact: bool = False) -> np.ndarray:
        """Normal, by the inverse distribution function of a uniform on (0, 1)."""
        from scipy.special import ndtri  # imported when first needed: ~0.3 s a process does not
        #                                  always need (hedgesim --help, a run without a package)

        return loc + scale * self._draw(size, where, ndtri, compact)

    def gumbel(self, size: int | tuple[int, ...]) -> np.ndarray:
        """Standard Gumbel, ``-log(-log(u))`` of each uniform of :meth:`open_where` with every element
        needed, with the C library's ``log`` (:func:`sim.philox.gumbels`): the noise whose top-k
        :func:`sim.decision.choose` takes."""
        from sim.philox import gumbels

        shape = (size,) if isinstance(size, int | np.integer) else tuple(size)
        u = self.open_where(np.ones(shape, dtype=bool))
        return gumbels(u.reshape(shape[0], -1)).reshape(shape)

    def open_where(self, needed: np.ndarray) -> np.ndarray:
        """Uniform numbers on the open (0, 1) over ``needed.shape`` (every replicate draws), computed
        only where ``needed`` is True, which costs nothing elsewhere (compiled,
        :func:`sim.philox.open_where`; :data:`sim.philox.PLACEHOLDER` there): a choice needs noise
        only on the moves it may make. A needed element is the same number whichever others are
        needed. The kernel works a replicate per column: given ``needed`` laid out so (the transpose
        of a C-contiguous ``(n, R)`` array, as :func:`sim.decision.choose` gives it), nothing is
        copied, and the numbers come back laid out the same way."""
        from sim.philox import open_where

        needed = np.asarray(needed, dtype=bool)
        if needed.ndim < 1 or needed.shape[0] != self.streams.replicates:
            raise ValueError(f"leading axis of {needed.shape} != {self.streams.replicates} replicates")
        month, counts = self.streams.occurrences(self.purpose, self.label)
        by_column = np.ascontiguousarray(needed.reshape(needed.shape[0], -1).T)  # (n, R)
        u = open_where(self.streams.keys, counts, np.uint64(self.label), self._word(month), by_column)
        return u.T.reshape(needed.shape)


def _per_row(x: np.ndarray, ndim: int) -> np.ndarray:
    """A scalar as it is; an ``(R,)`` array as ``(R, 1, ...)`` to broadcast over a draw's rows."""
    return x if x.ndim == 0 else x.reshape(x.shape + (1,) * (ndim - x.ndim))
