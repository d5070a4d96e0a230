"""AWS on the sandbox: the SageMaker emulator and the real ACK controller that drives it."""
