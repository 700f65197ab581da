"""fal-shaped error responses for everything the app raises.

`RequestError` subclasses render as `{"detail": ...}` with their status (422 lists in
FastAPI's shape, with `x-fal-billable-units: 0` like fal apps); an unexpected exception is
logged with its traceback and answered 500 `{"detail": "Internal Server Error"}`.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ltx_serve.errors import RequestError, ValidationFailed
from ltx_serve.schemas.validation import pydantic_errors_to_fal

logger = logging.getLogger(__name__)

NO_BILL = {"x-fal-billable-units": "0"}


def error_response(exc: RequestError) -> JSONResponse:
    headers = dict(NO_BILL) if isinstance(exc, ValidationFailed) or exc.status_code == 404 else {}
    return JSONResponse({"detail": exc.detail()}, status_code=exc.status_code, headers=headers)


async def _request_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestError)
    return error_response(exc)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for err in exc.errors():
        entry = {"loc": list(err["loc"]), "msg": err["msg"], "type": err["type"]}
        errors.append(entry)
    return JSONResponse({"detail": errors}, status_code=422, headers=NO_BILL)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"Path {request.url.path} not found"
    return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"detail": "Internal Server Error"}, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestError, _request_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


__all__ = ["error_response", "install_error_handlers", "pydantic_errors_to_fal"]
