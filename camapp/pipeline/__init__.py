"""The real-time detection pipeline: capture thread -> freshest frame -> inference thread -> consumers."""

from camapp.pipeline.consumer import Consumer, Result
from camapp.pipeline.core import Pipeline
from camapp.pipeline.policy import RungPolicy
from camapp.pipeline.stats import STATES, Stats

__all__ = ["STATES", "Consumer", "Pipeline", "Result", "RungPolicy", "Stats"]
