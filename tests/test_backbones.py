"""The benchmark backbones: DANN's MNIST CNN, DTN, torchvision ResNets and their weights."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
import torchvision
import torchvision.models._api as tv_api
from hydra.utils import instantiate

from da.errors import DAError
from da.nets.vision import DTN, DANNMnist, ResNet


def _params(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


@pytest.mark.parametrize(("shape", "features"), [((1, 28, 28), 48 * 4 * 4),
                                                 ((3, 32, 32), 48 * 5 * 5)])
def test_dann_mnist_matches_the_paper_layers(shape, features):
    torch.manual_seed(0)
    net = DANNMnist(shape)
    assert net.out_features == features
    assert _params(net) == (shape[0] * 32 * 25 + 32) + (32 * 48 * 25 + 48)
    x = torch.randn(2, *shape)
    conv1, conv2 = net.conv[0], net.conv[3]
    ref = F.max_pool2d(F.relu(F.conv2d(x, conv1.weight, conv1.bias)), 2)
    ref = F.max_pool2d(F.relu(F.conv2d(ref, conv2.weight, conv2.bias)), 2).flatten(1)
    assert torch.allclose(net(x), ref, atol=1e-5)


@pytest.mark.parametrize(("shape", "features"), [((3, 28, 28), 48 * 7 * 7),
                                                 ((1, 32, 32), 48 * 8 * 8)])
def test_dann_mnist_same_padding_keeps_the_size_like_tensorflow(shape, features):
    net = DANNMnist(shape, padding=2)
    assert net.out_features == features
    x = torch.randn(2, *shape)
    conv1, conv2 = net.conv[0], net.conv[3]
    ref = F.max_pool2d(F.relu(F.conv2d(x, conv1.weight, conv1.bias, padding="same")), 2)
    ref = F.max_pool2d(F.relu(F.conv2d(ref, conv2.weight, conv2.bias, padding="same")), 2)
    assert torch.allclose(net(x), ref.flatten(1), atol=1e-5)
    with pytest.raises(DAError, match="backbone.padding must be 0"):
        DANNMnist(shape, padding=3)


def test_dann_mnist_rejects_tiny_images():
    with pytest.raises(DAError, match="at least 16x16, got 12x12"):
        DANNMnist((1, 12, 12))


def test_dtn_shapes_and_size():
    net = DTN((3, 32, 32))
    convs = (3 * 64 + 64 * 128 + 128 * 256) * 25 + (64 + 128 + 256) * 3  # weights, bias, BN
    assert _params(net) == convs + 256 * 4 * 4 * 512 + 512 + 2 * 512
    assert net(torch.randn(2, 3, 32, 32)).shape == (2, 512)
    assert DTN((1, 28, 28))(torch.randn(2, 1, 28, 28)).shape == (2, 512)


def test_resnet18_forward_and_size():
    net = ResNet((3, 64, 64), arch="resnet18")
    # torchvision's 11,689,512 parameters less the 512x1000 ImageNet classifier
    assert _params(net) == 11_689_512 - 513_000 and net.out_features == 512
    assert net(torch.randn(2, 3, 64, 64)).shape == (2, 512)


def test_resnet50_features():
    net = ResNet((3, 32, 32), arch="resnet50")
    assert _params(net) == 25_557_032 - 2_049_000 and net.out_features == 2048
    assert net.eval()(torch.randn(1, 3, 32, 32)).shape == (1, 2048)


def test_local_weight_file_reproduces_the_weights(tmp_path):
    torch.manual_seed(1)
    ref = torchvision.models.resnet18()
    torch.save(ref.state_dict(), tmp_path / "r18.pth")  # with fc.*: ignored
    net = ResNet((3, 32, 32), arch="resnet18", weights=str(tmp_path / "r18.pth"))
    for key, value in net.net.state_dict().items():
        assert torch.equal(value, ref.state_dict()[key]), key
    torch.save({"state_dict": net.net.state_dict()}, tmp_path / "wrapped.pth")
    again = ResNet((3, 32, 32), arch="resnet18", weights=str(tmp_path / "wrapped.pth"))
    assert torch.equal(again.net.layer4[1].bn2.running_var, ref.layer4[1].bn2.running_var)
    grey = ResNet((1, 32, 32), arch="resnet18", weights=str(tmp_path / "r18.pth"))
    assert torch.allclose(grey.net.conv1.weight, ref.conv1.weight.sum(1, keepdim=True))


def test_wrong_weight_files_are_one_line_errors(tmp_path):
    torch.save(torchvision.models.resnet50().state_dict(), tmp_path / "r50.pth")
    cases = {
        "r50.pth": "does not fit torchvision resnet18: .*(missing|unexpected|shape)",
        "nope.pth": "no such file",
        "junk.pth": "cannot be read as a torch state dict",
        "list.pth": "holds no state dict of tensors",
    }
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    torch.save([1, 2], tmp_path / "list.pth")
    for name, message in cases.items():
        with pytest.raises(DAError, match=message) as e:
            ResNet((3, 32, 32), arch="resnet18", weights=str(tmp_path / name))
        assert "\n" not in str(e.value)
    with pytest.raises(DAError, match="is not a ResNet"):
        ResNet((3, 32, 32), arch="vgg16")


def test_imagenet_weights_come_from_torchvisions_enum(monkeypatch):
    """The download itself cannot run here: torch.hub's fetch is replaced, the rest is real."""
    torch.manual_seed(2)
    ref = torchvision.models.resnet18().state_dict()
    asked = []

    def fake(url, *args, **kw):
        asked.append(url)
        return ref

    monkeypatch.setattr(tv_api, "load_state_dict_from_url", fake)
    net = ResNet((3, 32, 32), arch="resnet18", weights="imagenet")
    assert asked == [torchvision.models.ResNet18_Weights.IMAGENET1K_V1.url]
    assert torch.equal(net.net.conv1.weight, ref["conv1.weight"])

    def offline(url, *args, **kw):
        raise OSError("no network")

    monkeypatch.setattr(tv_api, "load_state_dict_from_url", offline)
    with pytest.raises(DAError, match="cannot download .*resnet18.*backbone.weights=<that file>"):
        ResNet((3, 32, 32), arch="resnet18", weights="imagenet")


def test_resnet_blocks_are_stem_and_stages_in_order():
    net = ResNet((3, 32, 32), arch="resnet18")
    blocks = net.blocks()
    assert len(blocks) == 5 and blocks[-1] is net.net.layer4
    owned = {id(p) for b in blocks for p in b.parameters()}
    assert owned == {id(p) for p in net.parameters()}  # every weight belongs to one block


@pytest.mark.parametrize(("name", "shape", "features"), [
    ("dann_mnist", (1, 28, 28), 768), ("dann_mnist", (3, 32, 32), 1200),
    ("dtn", (3, 32, 32), 512), ("resnet18", (3, 64, 64), 512), ("resnet50", (3, 64, 64), 2048)])
def test_backbone_yamls_build_the_networks(make_cfg, name, shape, features):
    """conf/backbone/<name>.yaml instantiates as build.py does it (input_shape from the data)."""
    net = instantiate(make_cfg(f"backbone={name}").backbone, input_shape=list(shape))
    assert net.out_features == features
    assert net.eval()(torch.randn(2, *shape)).shape == (2, features)


def test_channels_last_network_computes_the_same_function():
    """model.channels_last only changes the memory layout: same outputs and gradients as NCHW
    (up to float rounding), and the same state dict keys."""
    from da.nets.backbones import LeNet
    from da.nets.heads import DANetwork

    torch.manual_seed(0)
    a = DANetwork(LeNet((1, 28, 28)), 10, 256, True)
    b = DANetwork(LeNet((1, 28, 28)), 10, 256, True, channels_last=True)
    b.load_state_dict(a.state_dict())
    assert b.backbone.conv[0].weight.is_contiguous(memory_format=torch.channels_last)
    x = torch.randn(8, 1, 28, 28)
    a.eval(), b.eval()
    fa, la = a(x)
    fb, lb = b(x)
    assert torch.allclose(fa, fb, atol=1e-5) and torch.allclose(la, lb, atol=1e-5)
    la.sum().backward()
    lb.sum().backward()
    ga, gb = a.backbone.conv[0].weight.grad, b.backbone.conv[0].weight.grad
    assert torch.allclose(ga, gb, atol=1e-4)
    assert list(a.state_dict()) == list(b.state_dict())


def test_label_predictor_and_discriminator_depths():
    """DANN's MNIST heads: a 100-100 label predictor, a one-hidden-layer domain classifier."""
    from da.nets.discriminator import DomainDiscriminator
    from da.nets.heads import Classifier, DANetwork

    net = DANetwork(torch.nn.Linear(5, 768), 10, None, head_hidden=(100, 100))
    assert isinstance(net.classifier, Classifier) and net.classifier.out_features == 10
    dims = [(m.in_features, m.out_features) for m in net.classifier
            if isinstance(m, torch.nn.Linear)]
    assert dims == [(768, 100), (100, 100), (100, 10)]
    before = net.classifier[0].weight.clone()
    net.classifier.reset_parameters()  # MCD's second classifier re-initialises it
    assert not torch.equal(before, net.classifier[0].weight)
    disc = DomainDiscriminator(768, 100, batch_norm=False, layers=1)
    assert [(m.in_features, m.out_features) for m in disc if isinstance(m, torch.nn.Linear)] == [
        (768, 100), (100, 1)]
    assert disc(torch.randn(4, 768)).shape == (4,)
    # without hidden layers the classifier stays one Linear: old checkpoints keep their keys
    assert isinstance(DANetwork(torch.nn.Linear(5, 8), 3, None).classifier, torch.nn.Linear)
