"""Long recordings in overlapping pieces, so the model's memory stays bounded.

Each piece gives the model `past` samples of context before the part of it
that is kept and `future` samples after, where `(past, future)` is the
model's `ConvTasNetConfig.context`: every kept sample then sees what it sees
in one-shot processing. Neighbouring kept parts overlap by `fade` samples and
are cross-faded linearly (weights that sum to one), which hides the small
jump a norm with whole-recording statistics (gLN) makes between pieces.

With a norm whose statistics are local (channel, batch) the result equals
one-shot processing to float rounding; with gLN or the cumulative norm it
differs by what the statistics of a piece differ from those of the whole
recording (measured in the README). Pieces start on the model's frame grid
(multiples of the stride), so the encoder frames are the one-shot ones.

A recording no longer than the chunk is a single piece, zero-padded up to one
of a few sizes (the chunk over a power of two) so that a folder of recordings
of many lengths compiles the model a few times only.
"""
import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Piece:
    start: int  # first sample, in the recording
    length: int  # samples of the recording in the piece
    size: int  # samples given to the model: `length`, then zero padding
    fade_in: int | None  # where the weight starts rising from 0 (None: 1 from the start)
    fade_out: int | None  # where it starts falling to 0 (None: 1 to the end)
    advance: int  # recording samples this piece finishes (for progress)


def plan(total: int, chunk: int, past: int, future: int, fade: int, stride: int) -> list[Piece]:
    """The pieces of a `total`-sample recording for a model taking `chunk` samples."""
    if total <= chunk:
        return [Piece(0, total, padded_size(total, chunk, stride), None, None, total)]
    hop = (chunk - past - future - fade) // stride * stride
    if hop <= 0:
        raise ValueError(f"a chunk of {chunk} samples is too short for this model: it needs "
                         f"more than {past + future + fade} (context {past} + {future}, "
                         f"fade {fade})")
    starts = list(range(0, total - chunk + hop, hop))  # the last one reaches the end
    pieces = []
    for i, start in enumerate(starts):
        last = i == len(starts) - 1
        pieces.append(Piece(
            start=start,
            length=min(chunk, total - start),
            size=chunk,
            fade_in=start + past if i > 0 else None,
            fade_out=None if last else starts[i + 1] + past,
            advance=total - start if last else hop))
    return pieces


def padded_size(total: int, chunk: int, stride: int) -> int:
    """The smallest of chunk/8, chunk/4, chunk/2 (on the stride grid) and chunk that holds `total`."""
    for divisor in (8, 4, 2):
        size = chunk // divisor // stride * stride
        if size >= total:
            return size
    return chunk


def weights(piece: Piece, fade: int) -> np.ndarray:
    """[length] cross-fade weights of `piece`; a piece's falling ramp and the
    next piece's rising ramp cover the same samples and sum to one."""
    at = np.arange(piece.start, piece.start + piece.length)
    weight = np.ones(piece.length, np.float32)
    if piece.fade_in is not None:
        weight = np.minimum(weight, _ramp(at - piece.fade_in, fade))
    if piece.fade_out is not None:
        weight = np.minimum(weight, 1 - _ramp(at - piece.fade_out, fade))
    return weight


def _ramp(offset, fade):
    """0 before the ramp, rising over `fade` samples, 1 after."""
    return np.clip((offset + 0.5) / fade, 0, 1).astype(np.float32)
