"""Meter profiles: register maps per model as YAML data, and their loader."""

from .expression import Expression, ExpressionError
from .loader import (
    BUILTIN_DIR,
    ProfileError,
    ProfileProblem,
    ProfileSet,
    load_profile_file,
    load_profiles,
)
from .model import (
    Check,
    DataType,
    FaultCode,
    Function,
    Profile,
    Quirks,
    ReadableBlock,
    RecordKind,
    RecordLog,
    Register,
    Relay,
    RelayRead,
    RelayWrite,
    SerialNumber,
    WordOrder,
)

__all__ = [
    "BUILTIN_DIR",
    "Check",
    "DataType",
    "Expression",
    "ExpressionError",
    "FaultCode",
    "Function",
    "Profile",
    "ProfileError",
    "ProfileProblem",
    "ProfileSet",
    "Quirks",
    "ReadableBlock",
    "RecordKind",
    "RecordLog",
    "Register",
    "Relay",
    "RelayRead",
    "RelayWrite",
    "SerialNumber",
    "WordOrder",
    "load_profile_file",
    "load_profiles",
]
