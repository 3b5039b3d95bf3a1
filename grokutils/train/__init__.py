"""The trajectory record of every training loop and the batched optimiser steps."""
