"""The features every noisy-speech builder stores, so one pipeline reads them all."""
import dataclasses
import functools

import numpy as np
import tensorflow_datasets as tfds


def noisy_speech_features() -> tfds.features.FeaturesDict:
    # BYTES: raw little-endian samples; the default stores every sample as an int64.
    audio = functools.partial(tfds.features.Tensor, shape=(None,),
                              encoding=tfds.features.Encoding.BYTES)
    return tfds.features.FeaturesDict({
        "noisy": audio(dtype=np.int16, doc="noisy speech, int16 samples"),
        "clean": audio(dtype=np.int16, doc="clean speech, int16 samples"),
        "noise": audio(dtype=np.int32, doc="noisy - clean, exactly (int32: it can leave int16)"),
        "speaker": tfds.features.Text(doc="speaker id"),
        "file_id": tfds.features.Text(doc="utterance id, unique in the corpus"),
    })


def noisy_speech_info(builder, sample_rate: int, **info) -> tfds.core.DatasetInfo:
    """DatasetInfo with the shared features; `sample_rate` goes in the metadata."""
    return tfds.core.DatasetInfo(
        builder=builder,
        features=noisy_speech_features(),
        metadata=tfds.core.MetadataDict(sample_rate=sample_rate),
        **info,
    )


@dataclasses.dataclass
class RateConfig(tfds.core.BuilderConfig):
    """A builder config that fixes the sample rate of the stored audio."""

    sample_rate: int = 16000
