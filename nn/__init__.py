"""Neural networks built from autograd operations: modules, losses, optimisers, training.

>>> import nn
>>> X, y = nn.data.make_moons(100, noise=0.1, seed=0)
>>> model = nn.MLP(2, [16, 16, 2], seed=0)
>>> history = nn.fit(model, X, y, nn.losses.cross_entropy, nn.optim.Adam(model.parameters(),
...                  lr=0.01), epochs=5, verbose=False)
"""
from autograd.anomaly import hide_frames_of

from nn import data, functional, init, losses, optim
from nn.parameter import Parameter, ParameterList
from nn.module import Module
from nn.hooks import RemovableHandle
from nn.containers import ModuleDict, ModuleList, Sequential
from nn.layers import MLP, Activation, BatchNorm, Dropout, Layer, Maxout, Neuron, PReLU
from nn.normalization import LayerNorm
from nn.linear import Embedding, Identity, Linear
from nn.conv import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, BatchNorm2d,
                     Conv1d, Conv2d, Flatten, MaxPool1d, MaxPool2d)
from nn.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from nn.attention import (MultiheadAttention, PositionalEncoding, TransformerEncoder,
                          TransformerEncoderLayer)
from nn.optim import clip_grad_norm
from nn.callbacks import Callback, EarlyStopping, History, ModelCheckpoint
from nn.metrics import accuracy, scores_to_classes
from nn.training import evaluate, fit, predict, train_step
from nn.diagnostics import DeadReluWatch, GradientMonitor, GradientReport, gradient_report
from nn.onnx_export import export_onnx
from nn.torch_interop import from_torch, to_torch

hide_frames_of(__name__)      # anomaly reports name the user's line, not ours

__all__ = [
    "Parameter", "Module", "RemovableHandle", "Sequential", "ModuleList", "ModuleDict",
    "ParameterList", "Neuron", "Layer", "MLP", "Activation", "Dropout", "BatchNorm",
    "LayerNorm", "PReLU", "Maxout", "functional", "losses", "optim", "init", "data",
    "clip_grad_norm", "fit", "train_step", "evaluate", "predict", "scores_to_classes",
    "accuracy", "History", "Callback", "EarlyStopping", "ModelCheckpoint", "gradient_report",
    "GradientReport", "GradientMonitor", "DeadReluWatch",
    "Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d", "Flatten", "BatchNorm2d",
    "Linear", "Identity", "Embedding",
    "RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU",
    "MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder", "PositionalEncoding",
    "export_onnx",
    "to_torch", "from_torch",
]
