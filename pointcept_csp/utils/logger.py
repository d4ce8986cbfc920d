"""The run's logger: one stream handler, plus a file handler when a log file is given. Under torch.distributed only
rank 0 logs (other ranks keep warnings and errors, on the stream)."""

from __future__ import annotations

import logging
import os
import sys

from . import comm

LOGGER_NAME = "pointcept_csp"


def get_root_logger(log_file: str | None = None, file_mode: str = "a", level: int = logging.INFO) -> logging.Logger:
    logger = logging.getLogger(LOGGER_NAME)
    if not comm.is_main_process():
        level, log_file = max(level, logging.WARNING), None
    logger.setLevel(level)
    logger.propagate = False
    formatter = logging.Formatter("[%(asctime)s %(levelname)s] %(message)s", datefmt="%Y-%m-%d %H:%M:%S")
    if not any(
        isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler) for h in logger.handlers
    ):
        stream = logging.StreamHandler(sys.stdout)
        stream.setFormatter(formatter)
        logger.addHandler(stream)
    if log_file is not None:
        log_file = os.path.abspath(log_file)
        for handler in list(logger.handlers):
            if isinstance(handler, logging.FileHandler):
                logger.removeHandler(handler)
                handler.close()
        os.makedirs(os.path.dirname(log_file), exist_ok=True)
        file_handler = logging.FileHandler(log_file, mode=file_mode)
        file_handler.setFormatter(formatter)
        logger.addHandler(file_handler)
    return logger
