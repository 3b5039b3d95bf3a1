"""Device handling: names checked before compute, auto falls back to the CPU, CPU unchanged."""

from __future__ import annotations

import pytest
import torch

from grokutils.core import device, seeding, sweep


def test_auto_is_cuda_only_when_cuda_is_available(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert device.resolve("auto") == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert device.resolve("auto") == "cuda"
    assert device.resolve("cpu") == "cpu"


@pytest.mark.parametrize("name", ["gpu", "CUDA", "", "mps"])
def test_unknown_device_names_the_parameter_and_the_choices(name):
    with pytest.raises(ValueError, match="device must be one of auto, cpu, cuda"):
        device.resolve(name)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_a_gpu_fails_clearly():
    with pytest.raises(ValueError, match="device 'cuda' needs a CUDA GPU"):
        device.resolve("cuda")
    with pytest.raises(ValueError, match="device 'cuda' needs a CUDA GPU"):
        seeding.seed_everything(0, device="cuda")


def test_cpu_leaves_the_default_device_and_generators_on_the_cpu():
    seeding.seed_everything(0, device="cpu")
    assert torch.get_default_device().type == "cpu"
    with device.using("auto" if not torch.cuda.is_available() else "cpu"):
        gen = seeding.torch_generator(3)
        assert gen.device.type == "cpu"
        draw = torch.randn(4, generator=gen)
    assert torch.equal(draw, torch.randn(4, generator=torch.Generator().manual_seed(3)))


def test_the_sweep_cache_keys_on_the_device_and_dtype_policy(tmp_path):
    import sweep_functions

    cpu = sweep.ResultCache(tmp_path, sweep_functions.noisy_square, "cpu")
    cuda = sweep.ResultCache(tmp_path, sweep_functions.noisy_square, "cuda")
    point = {"x": 1, "seed": 0}
    assert cpu.path(point) != cuda.path(point)
    assert cpu.device == ("cpu", device.DTYPE_POLICY, device.TF32)


def test_sweep_rejects_an_unknown_device_before_compute(tmp_path):
    import sweep_functions

    with pytest.raises(ValueError, match="device must be one of"):
        sweep.run(
            sweep_functions.noisy_square, [{"x": 1, "seed": 0}], device="tpu", cache_dir=tmp_path
        )
