"""Each owner's preferred dealer (the dealer directory itself is data shipped with the code)."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from linkplus.models.base import Base


class PreferredDealer(Base):
    __tablename__ = "preferred_dealers"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    # An id in the shipped directory (dealers/data/dealers.json), so no foreign key.
    dealer_id: Mapped[str] = mapped_column(String(32))
