"""Services through which data can leave the bank's accounts or the network: log subscriptions, Lambda,
RDS, ECR, CodeArtifact and SageMaker hosting. Each judged by meaning, with the perimeter."""

from __future__ import annotations

from policies.model import Control

CONTROLS: tuple[Control, ...] = ()
