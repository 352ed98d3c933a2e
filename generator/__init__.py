"""fargate-gen: render a deploy kit that takes a container to AWS ECS Fargate.

The public API is small: :func:`new` renders a kit and :func:`load_config` reads and checks a project
config. Everything else is private and may change.
"""

from __future__ import annotations

__version__ = "0.3.0"

from generator.config import load_config
from generator.errors import ConfigError, FargateGenError, Finding
from generator.render import new

__all__ = ["ConfigError", "FargateGenError", "Finding", "__version__", "load_config", "new"]
