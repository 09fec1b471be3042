"""Placeholder router: replaced by the notifications implementation."""

from fastapi import APIRouter

router = APIRouter(tags=["notifications"])
