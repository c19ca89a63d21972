"""Segments from ARR, and the engagement model that follows from a segment.

Default bands (annual recurring revenue): Enterprise ≥ $100K, Mid-Market $25K–100K,
SMB $5K–25K, Self-Serve < $5K. A lower bound belongs to the band above it ($25,000 exactly
is Mid-Market).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from csdesk.models.enums import EngagementModel, Segment


@dataclass(frozen=True)
class SegmentBands:
    """Lower ARR bounds in cents for each segment above Self-Serve."""

    enterprise_cents: int = 100_000_00
    mid_market_cents: int = 25_000_00
    smb_cents: int = 5_000_00

    def segment_for(self, arr_cents: int) -> Segment:
        if arr_cents >= self.enterprise_cents:
            return Segment.ENTERPRISE
        if arr_cents >= self.mid_market_cents:
            return Segment.MID_MARKET
        if arr_cents >= self.smb_cents:
            return Segment.SMB
        return Segment.SELF_SERVE

    def segments_for(self, arr_cents: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`segment_for`: an array of segment values (strings)."""
        out = np.full(arr_cents.shape, Segment.SELF_SERVE.value, dtype=object)
        out[arr_cents >= self.smb_cents] = Segment.SMB.value
        out[arr_cents >= self.mid_market_cents] = Segment.MID_MARKET.value
        out[arr_cents >= self.enterprise_cents] = Segment.ENTERPRISE.value
        return out


DEFAULT_BANDS = SegmentBands()

ENGAGEMENT_FOR_SEGMENT: dict[Segment, EngagementModel] = {
    Segment.ENTERPRISE: EngagementModel.HIGH_TOUCH,
    Segment.MID_MARKET: EngagementModel.MID_TOUCH,
    Segment.SMB: EngagementModel.TECH_TOUCH,
    Segment.SELF_SERVE: EngagementModel.COMMUNITY_TOUCH,
}
