"""tensorflow-datasets builders for noisy-speech corpora and the tf.data pipelines.

Importing a builder module registers it with tfds under its snake_case name.
"""
