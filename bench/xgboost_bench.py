#!/usr/bin/env python3
"""XGBoost side of `bench training`: trains on the exact feature matrix and time-ordered split
that ML.NET used (exported as LIBSVM by the bench) and prints time and metrics as JSON, computed
with the same formulas as StrategicAgent.Ml.Modeling.Metrics.

usage: xgboost_bench.py --train train.svm --test test.svm --task regression|binary
                        [--log-label] [--iterations N] [--learning-rate X] [--leaves N] [--min-child-weight X]
                        [--threads N]
Needs Debian's python3-xgboost (run with /usr/bin/python3).
"""
import argparse
import json
import math
import sys
import time

import numpy as np
import xgboost as xgb


def regression_metrics(y, p):
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    err = y - p
    ss_tot = float(((y - y.mean()) ** 2).sum())
    return {
        "r2": 1 - float((err ** 2).sum()) / ss_tot if ss_tot > 0 else 0.0,
        "mae": float(np.abs(err).mean()),
        "rmse": float(math.sqrt((err ** 2).mean())),
        "mdae": float(np.median(np.abs(err))),
    }


def auc(y, s):
    y = np.asarray(y, dtype=bool)
    s = np.asarray(s, dtype=float)
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    sorted_s = s[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and sorted_s[j + 1] == sorted_s[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1
        i = j + 1
    pos = int(y.sum())
    neg = len(y) - pos
    if pos == 0 or neg == 0:
        return 0.5
    return float((ranks[y].sum() - pos * (pos + 1) / 2.0) / (pos * neg))


def binary_metrics(y, p):
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    pc = np.clip(p, 1e-15, 1 - 1e-15)
    pred = p >= 0.5
    tp = float(((pred) & (y > 0.5)).sum())
    fp = float(((pred) & (y <= 0.5)).sum())
    fn = float(((~pred) & (y > 0.5)).sum())
    precision = tp / (tp + fp) if tp + fp > 0 else 0.0
    recall = tp / (tp + fn) if tp + fn > 0 else 0.0
    return {
        "auc": auc(y > 0.5, p),
        "log_loss": float(-(y * np.log(pc) + (1 - y) * np.log(1 - pc)).mean()),
        "brier": float(((p - y) ** 2).mean()),
        "f1_at_0.5": 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--task", choices=["regression", "binary"], required=True)
    ap.add_argument("--log-label", action="store_true", help="labels in the files are ln(y); score in natural units")
    ap.add_argument("--iterations", type=int, default=300)
    ap.add_argument("--learning-rate", type=float, default=0.05)
    ap.add_argument("--leaves", type=int, default=31)
    ap.add_argument("--min-child-weight", type=float, default=1.0,
                    help="least hessian sum per leaf: for squared error this is ML.NET's min_leaf (rows per leaf)")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()

    t0 = time.perf_counter()
    dtrain = xgb.DMatrix(a.train + "?format=libsvm")
    dtest = xgb.DMatrix(a.test + "?format=libsvm")
    load_s = time.perf_counter() - t0
    params = {
        "tree_method": "hist",
        "grow_policy": "lossguide",
        "max_leaves": a.leaves,
        "max_depth": 0,
        "min_child_weight": a.min_child_weight,
        "eta": a.learning_rate,
        "subsample": 0.9,
        "colsample_bytree": 0.9,
        "lambda": 1.0,
        "nthread": a.threads,
        "objective": "reg:squarederror" if a.task == "regression" else "binary:logistic",
        "seed": 1,
    }
    t1 = time.perf_counter()
    c1 = time.process_time()
    booster = xgb.train(params, dtrain, num_boost_round=a.iterations)
    train_s = time.perf_counter() - t1
    train_cpu = time.process_time() - c1
    p = booster.predict(dtest)
    y = dtest.get_label()
    if a.task == "regression":
        if a.log_label:
            metrics = regression_metrics(np.exp(y), np.exp(p))
            metrics["r2_log"] = regression_metrics(y, p)["r2"]
        else:
            metrics = regression_metrics(y, p)
    else:
        metrics = binary_metrics(y, p)
    json.dump({"load_seconds": load_s, "train_seconds": train_s, "train_cpu_seconds": train_cpu,
               "rows_train": dtrain.num_row(),
               "rows_test": dtest.num_row(), "features": dtrain.num_col(), "metrics": metrics}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
