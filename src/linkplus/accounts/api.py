"""Placeholder routers: replaced by the accounts implementation."""

from fastapi import APIRouter

router = APIRouter(tags=["accounts"])
staff_router = APIRouter(tags=["staff"])
