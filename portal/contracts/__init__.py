"""Contracts paid by verified delivery (issue 12): from an award to payments, sampling and the final evaluation."""
