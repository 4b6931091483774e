"""Generate the sample card-transaction dataset the pipeline, its tests and its demos run on.

The data is synthetic so the blueprint ships without any real customer records, yet it carries a
learnable, partly non-linear fraud signal: a tuned tree ensemble beats a linear model, and both beat
a constant predictor, which is what the champion/challenger gate needs to be demonstrable.

Usage:
    python make_data.py --rows 2000 --seed 7 --output data/train.csv [--shift 0.5]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

CATEGORIES: tuple[str, ...] = ("grocery", "restaurant", "fuel", "electronics", "travel", "online_gaming")
_BASE_CATEGORY_WEIGHTS = np.array([0.30, 0.20, 0.15, 0.15, 0.10, 0.10])
# How strongly --shift moves category mix towards the riskier categories (log-weight per unit of shift).
_CATEGORY_TILT = np.array([-0.5, -0.3, -0.3, 0.6, 0.4, 0.8])
_RISKY_CATEGORIES = ("electronics", "online_gaming")

# Upper bounds the generator clips to; schema.json uses the same ranges, so shifted data drifts in
# distribution but stays valid (drift is a monitoring signal, not a data-quality failure).
MAX_AMOUNT = 25_000.0
MAX_ACCOUNT_AGE_DAYS = 3_650
MAX_TRANSACTIONS_24H = 100
MAX_DISTANCE_KM = 20_000.0


def _category_weights(shift: float) -> np.ndarray:
    weights = _BASE_CATEGORY_WEIGHTS * np.exp(_CATEGORY_TILT * shift)
    return weights / weights.sum()


def _fraud_logit(frame: pd.DataFrame) -> np.ndarray:
    """Risk score with thresholds and interactions, so a linear model cannot capture all of it."""
    night = frame["hour_of_day"].between(0, 5).to_numpy()
    far = (frame["distance_from_home_km"] > 100).to_numpy()
    risky_big = (frame["merchant_category"].isin(_RISKY_CATEGORIES) & (frame["amount"] > 150)).to_numpy()
    new_account = (frame["account_age_days"] < 60).to_numpy()
    velocity = np.minimum(frame["transactions_last_24h"].to_numpy(), 10)
    return (
        -4.4
        + 3.2 * risky_big
        + 2.2 * far
        + 1.0 * night
        + 1.8 * (night & far)
        + 2.4 * new_account
        + 0.45 * velocity
    )


def generate(rows: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    """Return ``rows`` transactions with a binary ``label`` (1 = fraud), identical for identical arguments.

    ``shift`` perturbs the feature distributions (larger amounts, more distant and night-time
    transactions, more risky merchants) while the labelling rule stays fixed, i.e. covariate drift.
    The same seed draws the same underlying random numbers for every shift, so a shifted sample is
    the baseline sample moved, not a different sample.
    """
    if rows < 1:
        raise ValueError(f"rows must be at least 1, got {rows}")
    rng = np.random.default_rng(seed)
    normal_amount = rng.standard_normal(rows)
    category_draw = rng.random(rows)
    hour_is_night = rng.random(rows)
    hour_draw = rng.random(rows)
    age_draw = rng.exponential(1.0, rows)
    velocity_draw = rng.random(rows)
    distance_draw = rng.exponential(1.0, rows)
    far_draw = rng.random(rows)
    label_draw = rng.random(rows)

    amount = np.exp(3.8 + 0.5 * shift + 1.1 * normal_amount)
    cumulative = np.cumsum(_category_weights(shift))
    category_index = np.minimum(np.searchsorted(cumulative, category_draw, side="right"), len(CATEGORIES) - 1)
    night_share = float(np.clip(0.12 + 0.08 * shift, 0.0, 1.0))
    hour = np.where(hour_is_night < night_share, np.floor(hour_draw * 6), 6 + np.floor(hour_draw * 18))
    velocity = _poisson_from_uniform(velocity_draw, max(0.1, 1.5 + shift))
    distance = distance_draw * 25.0 * (1.0 + max(shift, -0.9))
    # A few far-away transactions (travel, card-not-present) regardless of shift.
    distance = np.where(far_draw > 0.93, distance * 20.0, distance)

    frame = pd.DataFrame(
        {
            "amount": np.round(np.clip(amount, 0.5, MAX_AMOUNT), 2),
            "merchant_category": np.asarray(CATEGORIES, dtype=object)[category_index],
            "hour_of_day": hour.astype("int64"),
            "account_age_days": np.clip(np.floor(age_draw * 700), 0, MAX_ACCOUNT_AGE_DAYS).astype("int64"),
            "transactions_last_24h": np.clip(velocity, 0, MAX_TRANSACTIONS_24H).astype("int64"),
            "distance_from_home_km": np.round(np.clip(distance, 0.0, MAX_DISTANCE_KM), 2),
        }
    )
    probability = 1.0 / (1.0 + np.exp(-_fraud_logit(frame)))
    frame["label"] = (label_draw < probability).astype("int64")
    return frame


def _poisson_from_uniform(uniform: np.ndarray, lam: float) -> np.ndarray:
    """Poisson counts by inverse CDF, so one uniform draw per row serves every ``lam`` (keeps samples paired)."""
    counts = np.zeros(uniform.shape, dtype="int64")
    term = np.exp(-lam)
    cdf = np.full(uniform.shape, term)
    for k in range(1, MAX_TRANSACTIONS_24H + 1):
        below = uniform >= cdf
        if not below.any():
            break
        counts[below] = k
        term *= lam / k
        cdf = cdf + term
    return counts


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Generate the synthetic card-transaction dataset.")
    parser.add_argument("--rows", type=int, required=True, help="number of rows to generate")
    parser.add_argument("--seed", type=int, default=0, help="random seed; same seed, same data")
    parser.add_argument("--output", type=Path, required=True, help="CSV file to write")
    parser.add_argument("--shift", type=float, default=0.0, help="covariate drift strength (0 = baseline)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        frame = generate(args.rows, args.seed, args.shift)
    except ValueError as error:
        print(f"make_data: error: {error}", file=sys.stderr)
        return 2
    args.output.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.output, index=False)
    print(f"make_data: wrote {len(frame)} rows ({frame['label'].mean():.1%} fraud) to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
