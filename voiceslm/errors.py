"""Errors a user can cause, each carrying one sentence that names the fix."""


class UserError(Exception):
    """A problem the user can fix: printed as one sentence, exit status 2, no traceback."""

    exit_code = 2


class ModelMissingError(UserError):
    """A model is not installed, or fails its checksum."""

    exit_code = 3


class DeviceError(UserError):
    """An audio device is missing, busy or has gone away."""

    exit_code = 4
