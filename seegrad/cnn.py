"""The CNN job: the MLP job's data, training, history and report (seegrad.job), with a small
convolutional network on the digit images and pictures of what it learned.

The network is two blocks of convolution, batch normalisation, activation and 2x2 max pooling,
then one linear layer: on the 8x8 digits 1x8x8 -> 16x8x8 -> 16x4x4 -> 32x4x4 -> 32x2x2 -> 10.
"""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Optional

import numpy as np

import nn
import visualize
from autograd import Value
from seegrad.job import (VALIDATION_SPLIT, Data, Recipe, Written, load_data, loaded,
                         n_outputs, plural, targets_for)
from seegrad.job import run as run_recipe

CHANNELS = (16, 32)        # output channels of the two convolution blocks
STEP_BATCH = 4             # test images in the drawn CNN step
STEP_RANKDIR = "TB"


def load_images(name: str, data_dir: Optional[str], seed: int) -> Data:
    """The job's split of an image dataset (digits or mnist), each sample a (1, height, width)
    image."""
    data = load_data(name, data_dir, seed)
    shape = (-1, 1) + data.image_shape
    return dataclasses.replace(data, X_train=data.X_train.reshape(shape),
                               X_test=data.X_test.reshape(shape))


def build_cnn(args: argparse.Namespace, data: Data) -> nn.Sequential:
    """Conv-BatchNorm-activation-MaxPool twice, Flatten and Linear, seeded by --seed; loaded
    from --load when given."""
    rng = np.random.default_rng(args.seed)
    dtype, layers, before = np.dtype(args.dtype), [], 1
    for channels in CHANNELS:
        layers += [nn.Conv2d(before, channels, 3, padding=1, dtype=dtype, seed=rng),
                   nn.BatchNorm2d(channels, dtype=dtype), nn.Activation(args.activation),
                   nn.MaxPool2d(2)]
        before = channels
    height, width = (n // 2 ** len(CHANNELS) for n in data.image_shape)
    layers += [nn.Flatten(), nn.Linear(before * height * width,
                                       n_outputs(args.loss, data.n_classes), dtype=dtype,
                                       seed=rng)]
    return loaded(nn.Sequential(*layers), args)


def describe_cnn(args: argparse.Namespace, data: Data, model: nn.Sequential) -> str:
    """One line saying what will be trained (a sample's shape after each block), and on what."""
    height, width = data.image_shape
    shapes = [f"1x{height}x{width}"]
    for channels in CHANNELS:
        height, width = height // 2, width // 2
        shapes.append(f"{channels}x{height}x{width}")
    shapes.append(str(model[-1].out_features))
    held_out = int(round(len(data.X_train) * VALIDATION_SPLIT))     # fit's validation_split
    return (f"CNN {' -> '.join(shapes)} (conv 3x3, batchnorm, {args.activation} and maxpool 2 "
            f"per block; linear) on {data.name}: {len(data.X_train)} train samples "
            f"({held_out} of them held out for validation) / {len(data.X_test)} test; "
            f"{args.loss}, {args.optimizer} lr={args.lr:g} (cosine to 0), "
            f"{plural(args.epochs, 'epoch')} of batch {args.batch_size}, {args.dtype}")


def cnn_step(model: nn.Sequential, data: Data, args: argparse.Namespace) -> Value:
    """One training step's graph on a few test images: the model, the loss, its backward."""
    X = data.X_test[:STEP_BATCH]
    y = targets_for(args.loss, data.y_test[:STEP_BATCH], data.n_classes, model.dtype)
    model.zero_grad()
    loss = nn.losses.get_loss(args.loss)(model(X.astype(model.dtype)), y)
    loss.name = "loss"
    loss.backward()
    return loss


def draw_cnn_graph(model: nn.Sequential, data: Data, args: argparse.Namespace,
                   out: Path) -> Written:
    """The computation graph of one CNN step, coloured by gradient health: about a hundred
    nodes (batch normalisation is a dozen ops), few enough to draw node by node, each
    parameter named by the model (0.weight, ...)."""
    loss = cnn_step(model, data, args)
    path = visualize.render(loss, out / "cnn_step.svg", model=model, rankdir=STEP_RANKDIR)
    model.zero_grad()
    return [(path, f"one CNN step on {STEP_BATCH} test images (conv and pool nodes with "
                   "their shapes; hover for details)")]


def plot_cnn(model: nn.Sequential, data: Data, out: Path) -> Written:
    """The first layer's filters and one test digit's feature maps after each convolution."""
    filters = visualize.plot_filters(model[0], out / "filters.png")
    maps = visualize.plot_feature_maps(model, data.X_test[0], out / "feature_maps.png")
    return [(filters, "the learned first-layer filters"),
            (maps, f"the feature maps of the first test digit (a {data.y_test[0]}) after each "
                   "convolution")]


CNN = Recipe(load_images, build_cnn, describe_cnn, draw_cnn_graph, plot_cnn, anneal=True)


def run(args: argparse.Namespace) -> int:
    """Train, evaluate and draw the CNN as the options say; returns the exit status."""
    return run_recipe(args, CNN)
