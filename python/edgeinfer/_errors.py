"""edgeinfer.Error and one subclass per edgeinfer::StatusCode (include/edgeinfer/status.hpp).

The extension module raises these with the C++ message; `code` is the StatusCode name."""


class Error(Exception):
    """Base of every error edgeinfer raises."""

    code = "Unknown"
    code_value = -1

    def __init__(self, message=""):
        super().__init__(message)
        self.message = message


class InvalidArgument(Error, ValueError):
    """The caller passed something wrong: an input name, shape, dtype, option."""

    code, code_value = "InvalidArgument", 1


class NotFound(Error, LookupError):
    """A file, input or value that does not exist."""

    code, code_value = "NotFound", 2


class InvalidModel(Error):
    """Model bytes that do not decode or do not form a valid graph."""

    code, code_value = "InvalidModel", 3


class Unsupported(Error):
    """Valid input edgeinfer cannot handle (op, opset, dtype)."""

    code, code_value = "Unsupported", 4


class IoError(Error, OSError):
    """Reading or writing a file or socket failed."""

    code, code_value = "IoError", 5


class OutOfRange(Error):
    """An index or value outside what is allowed (data dependent)."""

    code, code_value = "OutOfRange", 6


class Internal(Error):
    """A broken edgeinfer invariant: a bug."""

    code, code_value = "Internal", 7


class EndOfStream(Error):
    """A frame source has no more frames."""

    code, code_value = "EndOfStream", 8


class SourceLost(Error):
    """A camera or stream vanished."""

    code, code_value = "SourceLost", 9


class Cancelled(Error):
    code, code_value = "Cancelled", 10


class ResourceExhausted(Error, MemoryError):
    """A byte count overflows, exceeds the memory limit, or an allocation failed."""

    code, code_value = "ResourceExhausted", 11


ERRORS = (InvalidArgument, NotFound, InvalidModel, Unsupported, IoError, OutOfRange, Internal, EndOfStream,
          SourceLost, Cancelled, ResourceExhausted)
_BY_VALUE = {cls.code_value: cls for cls in ERRORS}


def error_class(code_value):
    """The class for a StatusCode value (Error for an unknown one)."""
    return _BY_VALUE.get(code_value, Error)
