from data_pipelines.tiny_noisy_speech.tiny_noisy_speech import TinyNoisySpeech

__all__ = ["TinyNoisySpeech"]
