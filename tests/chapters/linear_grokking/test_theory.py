"""The exact theory of grokking in linear estimators against quadrature, identities and limits."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special

from grokutils.chapters.linear_grokking import theory as th

ETA = 0.01


@pytest.mark.parametrize("lam", [0.1, 0.5, 0.9, 1.5, 3.0])
def test_marchenko_pastur_quadrature_has_the_known_moments(lam):
    # E[1] = 1 (atom included), E[ν] = 1, E[ν²] = 1 + λ for the unit-variance MP law
    for power, expected in ((0, 1.0), (1, 1.0), (2, 1 + lam)):
        value = th.mp_expectation(lambda nu, k=power: nu**k, lam)
        assert value == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("lam", [0.1, 0.5, 0.9, 1.5])
def test_eq9_closed_form_equals_quadrature(lam):
    """Statement 1: eq. 9 = MP quadrature of E[ν e^{-4ηνt}] to 1e-8 for t <= 5e4."""
    t = np.concatenate([[0.0], np.geomspace(1e-2, 5e4, 200)])
    closed = th.train_loss_closed_form(t, lam, eta=ETA)
    quadrature = th.losses(t, lam, eta=ETA)[0]
    resolved = closed > 1e-250  # both sides underflow together beyond that
    np.testing.assert_allclose(quadrature[resolved], closed[resolved], rtol=1e-8)


def test_quadrature_is_converged_at_400_nodes():
    t = np.geomspace(1, 1e6, 50)
    for lam in (0.3, 0.9, 0.99):
        coarse = th.losses(t, lam, eta=ETA, n_nodes=400)
        fine = th.losses(t, lam, eta=ETA, n_nodes=1600)
        for a, b in zip(coarse, fine, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-300)


@pytest.mark.parametrize("lam", [0.1, 0.5, 0.9, 1.5])
def test_eq21_identity_gen_loss_decays_at_four_eta_times_train_loss(lam):
    """Statement 3: -(1/4η) dL_gen/dt = L_tr, by centred finite differences, to 1e-4."""
    t = np.geomspace(10, 2e4, 40)
    t = t[th.losses(t, lam, eta=ETA)[0] > 1e-9]  # above the rounding of L_gen (atom: 1/3)
    h = 0.05  # steps: small against the fastest rate 4η(1+√λ)² so the O(h²) error is < 1e-5
    slope = (th.losses(t + h, lam, eta=ETA)[1] - th.losses(t - h, lam, eta=ETA)[1]) / (2 * h)
    np.testing.assert_allclose(-slope / (4 * ETA), th.losses(t, lam, eta=ETA)[0], rtol=1e-4)


@pytest.mark.parametrize("lam", [0.3, 0.9])
def test_gen_loss_is_the_integral_of_the_closed_form_train_loss(lam):
    # L_gen(t) = (1 - 1/λ)⁺ + 4η ∫_t^∞ L_tr(s) ds (eq. 21 integrated), with eq. 9 inside
    for t in (0.0, 300.0, 3000.0):
        tail, _ = integrate.quad(
            lambda s: th.train_loss_closed_form(s, lam, eta=ETA), t, np.inf, epsabs=0, limit=200
        )
        assert th.losses(t, lam, eta=ETA)[1] == pytest.approx(4 * ETA * tail, rel=1e-7)


def test_initial_and_final_losses():
    assert th.losses(0, 0.5, eta=ETA) == pytest.approx((1.0, 1.0))
    # over-parameterised: L_tr -> 0 but L_gen -> 1 - 1/λ (null space never learned)
    train, gen = th.losses(np.inf, 1.5, eta=ETA)
    assert train == 0 and gen == pytest.approx(1 / 3, rel=1e-12)
    # eq. 13: L(0) = 1/d_out
    np.testing.assert_allclose(
        th.losses(0, 0.9, eta=ETA, d_out=[1, 50, 700])[1], 1 / np.array([1, 50, 700])
    )


def test_output_dimension_is_a_slower_rate_and_a_smaller_scale():
    """Eq. 13: L^(d)(η, t) = L^(1)(η/d, t)/d."""
    t = np.geomspace(1, 1e6, 30)
    for d in (5, 50):
        np.testing.assert_allclose(
            th.losses(t, 0.7, eta=ETA, d_out=d)[1],
            th.losses(t, 0.7, eta=ETA / d)[1] / d,
            rtol=1e-12,
        )


def test_init_scale_multiplies_every_loss_by_one_plus_alpha_squared_over_two():
    t = np.geomspace(1, 1e5, 30)
    for alpha in (0.25, 4.0):
        scaled = th.losses(t, 0.7, eta=ETA, init_scale=alpha)
        for a, b in zip(scaled, th.losses(t, 0.7, eta=ETA), strict=True):
            np.testing.assert_allclose(a, (1 + alpha**2) / 2 * b, rtol=1e-12)


@pytest.mark.parametrize("lam", [0.5, 0.9])
def test_weight_decay_floors_are_gamma_squared_over_eight_not_four(lam):
    """Eq. 16 erratum: the small-γ floors of eq. 15 are γ²/(8(1-λ)) and γ²/(8(1-λ)³)."""
    gamma = 1e-5 if lam == 0.9 else 1e-4
    train, gen = th.losses(np.inf, lam, eta=ETA, gamma=gamma)
    ours = th.weight_decay_late_losses(lam, gamma)
    paper = th.weight_decay_late_losses(lam, gamma, paper_eq16=True)
    assert train == pytest.approx(ours[0], rel=0.02) and gen == pytest.approx(ours[1], rel=0.02)
    assert train == pytest.approx(paper[0] / 2, rel=0.02)


def test_critical_weight_decay_matches_its_small_gamma_estimate_and_vanishes_above_one():
    eps = 1e-3
    gamma_c = th.critical_weight_decay([0.5, 0.9, 1.5], eps)
    estimate = np.sqrt(8 * (1 - np.array([0.5, 0.9])) ** 3 * th.loss_at_accuracy(0.95, eps))
    np.testing.assert_allclose(gamma_c[:2], estimate, rtol=0.2)
    assert 1e-3 <= gamma_c[1] <= 3.2e-3 and 1e-2 <= gamma_c[0] <= 3.2e-2 and gamma_c[2] == 0


def test_accuracy_for_one_output_is_the_error_function():
    loss = np.geomspace(1e-6, 1, 50)
    np.testing.assert_allclose(
        th.accuracy_from_loss(loss, 1e-3), special.erf(np.sqrt(1e-3 / (2 * loss))), rtol=1e-12
    )
    assert th.loss_at_accuracy(special.erf(np.sqrt(2)), 1.0) == pytest.approx(0.25)


@settings(max_examples=200, deadline=None)
@given(
    accuracy=st.floats(0.01, 0.99),
    eps=st.floats(1e-10, 1.0),
    d_out=st.integers(1, 3000),
)
def test_loss_at_accuracy_inverts_accuracy_from_loss(accuracy, eps, d_out):
    level = th.loss_at_accuracy(accuracy, eps, d_out)
    assert th.accuracy_from_loss(level, eps, d_out) == pytest.approx(accuracy, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(
    loss=st.floats(1e-8, 10.0),
    ratio=st.floats(1.001, 100.0),
    eps=st.floats(1e-8, 1e-1),
    d_out=st.integers(1, 1000),
)
def test_accuracy_decreases_with_the_loss(loss, ratio, eps, d_out):
    assert th.accuracy_from_loss(loss * ratio, eps, d_out) <= th.accuracy_from_loss(
        loss, eps, d_out
    )


def test_grokking_times_reproduce_the_table_of_the_spec():
    lam = np.array([0.1, 0.5, 0.9])
    t_tr, t_gen = th.grokking_times(lam, 1e-3, eta=ETA)
    np.testing.assert_allclose(t_tr, [272, 718, 2353], rtol=2e-3)
    np.testing.assert_allclose(t_gen - t_tr, [23, 430, 20281], rtol=2e-2)


def test_never_grokking_is_infinite_and_already_accurate_is_zero():
    t_tr, t_gen = th.grokking_times([1.5, 0.9], [1e-3, 10.0], eta=ETA)
    assert np.isfinite(t_tr[0]) and np.isinf(t_gen[0])
    assert t_tr[1] == 0 and t_gen[1] == 0


def test_delay_rises_monotonically_towards_lambda_one():
    """Statement 9 on the theory: Δt increasing in λ, ≥ 100× larger at 0.9 than at 0.1."""
    delay = th.grokking_delay(np.linspace(0.05, 0.95, 19), 1e-3, eta=ETA)
    assert np.all(np.diff(delay) > 0) and delay[-2] / delay[1] >= 100


def test_eq12_is_the_small_eps_envelope():
    """Statement 10: Δt/eq. 12 rises as ε falls and lies in [0.85, 1] for ε <= 1e-9."""
    lam = np.array([0.3, 0.5, 0.7, 0.9])
    eps = np.array([1e-3, 1e-6, 1e-9, 1e-12])[:, None]
    ratio = th.grokking_delay(lam, eps, eta=ETA, t_max=1e9) / th.grokking_delay_eq12(lam, eta=ETA)
    assert np.all(np.diff(ratio, axis=0) > 0)
    assert np.all((ratio[2:] >= 0.85) & (ratio[2:] <= 1))


def test_lambert_w_delay_approaches_the_numerical_delay_as_eps_falls():
    """Eq. 24 is within 20 % of the numerical Δt at ε = 1e-3 (λ in [0.3, 0.9]) and its error
    shrinks as ε falls (it is < 10 % at 1e-6; the spec's 5 % holds only for λ >= 0.6)."""
    lam = np.linspace(0.3, 0.9, 7)
    errors = []
    for eps in (1e-3, 1e-6, 1e-9):
        t_tr, t_gen = th.grokking_times_lambert(lam, eps, eta=ETA)
        exact = th.grokking_delay(lam, eps, eta=ETA, t_max=1e9)
        errors.append(np.abs((t_gen - t_tr) / exact - 1))
    errors = np.array(errors)
    assert errors[0].max() <= 0.2 and errors[1].max() <= 0.1
    assert np.all(np.diff(errors, axis=0) < 0)


def test_late_time_asymptotics_against_the_exact_losses():
    """Statement 12: eqs. 22, 23 within 1 % for t >= 1e3; eq. 11 needs t ≫ τ (λ = 0.9)."""
    t = np.geomspace(1e3, 3e5, 40)
    train, gen = th.losses(t, 0.9, eta=ETA)
    np.testing.assert_allclose(th.train_loss_late(t, 0.9, eta=ETA) / train, 1, atol=0.01)
    np.testing.assert_allclose(th.gen_loss_late(t, 0.9, eta=ETA) / gen, 1, atol=0.01)
    leading = th.gen_loss_leading(np.array([1e4, 1e5]), 0.9, eta=ETA)
    ratio = leading / th.losses(np.array([1e4, 1e5]), 0.9, eta=ETA)[1]
    assert ratio[0] > 1.9 and ratio[1] < 1.15


def test_init_scale_is_a_threshold_rescaling():
    t_scaled = th.grokking_times(0.7, 1e-3, eta=ETA, init_scale=4.0)
    t_eps = th.grokking_times(0.7, th.effective_eps_for_init_scale(1e-3, 4.0), eta=ETA)
    np.testing.assert_allclose(t_scaled, t_eps, rtol=1e-6)


def test_two_layer_theory_is_the_one_layer_theory_at_the_effective_rate():
    t = np.geomspace(1, 1e5, 20)
    gen = th.two_layer_losses(t, 0.5, eta=ETA, d_out=5, d_hidden=200)[1]
    np.testing.assert_allclose(gen, th.losses(t, 0.5, eta=ETA / 50)[1] / 2000, rtol=1e-12)
    assert th.two_layer_losses(0, 0.5, eta=ETA, d_out=5, d_hidden=200)[1] == pytest.approx(5e-4)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: th.losses(1.0, -0.5, eta=ETA), "lam"),
        (lambda: th.losses(1.0, 0.5, eta=0.0), "eta"),
        (lambda: th.grokking_delay_eq12(1.5, eta=ETA), "lam"),
        (lambda: th.loss_at_accuracy(1.0, 1e-3), "accuracy"),
        (lambda: th.accuracy_from_loss(1.0, -1e-3), "eps"),
    ],
)
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
