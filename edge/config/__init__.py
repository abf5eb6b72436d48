"""The node's configuration: one TOML file validated into typed sections (see `node.py`)."""

from edge.config.load import ConfigError, describe_validation, load_node_config
from edge.config.node import LiveSettings, NodeConfig

__all__ = ["ConfigError", "LiveSettings", "NodeConfig", "describe_validation", "load_node_config"]
