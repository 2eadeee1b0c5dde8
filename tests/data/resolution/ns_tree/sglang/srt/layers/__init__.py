from . import linear
from .linear import *
