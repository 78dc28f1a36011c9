using LongRecipe.Engine.Optim;
using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Optim;

/// <summary>ClipGradNorm on gradients whose global norm is worked by hand: ‖(3, 4, 12)‖₂ = √169 = 13.</summary>
public class GradientClippingTests
{
    private static (Tensor A, Tensor B) Parameters()
    {
        var a = Tensor.Zeros([2], DType.Float64).RequiringGrad();
        var b = Tensor.Zeros([1, 1], DType.Float64).RequiringGrad();
        a.Grad = Tensor.FromArray([3.0, 4]);
        b.Grad = Tensor.FromArray([12.0], [1, 1]);
        return (a, b);
    }

    [Fact]
    public void Norm_below_the_maximum_leaves_the_gradients()
    {
        using var scope = DisposeScope.Enter();
        var (a, b) = Parameters();
        Expect.Close(13, GradientClipping.ClipGradNorm([a, b], maxNorm: 26), 1e-6, "global norm");
        Expect.Close([3, 4], a.Grad!, 0, "a untouched");
        Expect.Close([12], b.Grad!, 0, "b untouched");
    }

    [Fact]
    public void Norm_above_the_maximum_scales_every_gradient_together()
    {
        using var scope = DisposeScope.Enter();
        var (a, b) = Parameters();
        Expect.Close(13, GradientClipping.ClipGradNorm([a, b], maxNorm: 10.4), 1e-6, "norm before clipping");
        // g ← g · 10.4 / (13 + 1e-6): by hand 0.8 of each gradient, up to the 1e-6 guard.
        var c = 10.4 / (13 + 1e-6);
        Expect.Close([3 * c, 4 * c], a.Grad!, 1e-6, "a scaled");
        Expect.Close([12 * c], b.Grad!, 1e-6, "b scaled");
        Expect.Close([2.4, 3.2], a.Grad!, 1e-6, "a by hand");
        Expect.Close(10.4, GradientClipping.ClipGradNorm([a, b], maxNorm: 100), 1e-6, "norm after clipping");
    }

    [Fact]
    public void Parameters_without_gradients_do_not_count()
    {
        using var scope = DisposeScope.Enter();
        var (a, _) = Parameters();
        var bare = Tensor.Zeros([3], DType.Float64).RequiringGrad();
        // ‖(3, 4)‖ = 5.
        Expect.Close(5, GradientClipping.ClipGradNorm([a, bare], maxNorm: 10), 1e-6, "norm of a alone");
        Assert.Equal(0.0, GradientClipping.ClipGradNorm([bare], maxNorm: 1));
    }

    [Fact]
    public void A_non_finite_gradient_gives_a_non_finite_norm()
    {
        using var scope = DisposeScope.Enter();
        var (a, b) = Parameters();
        b.Grad = Tensor.FromArray([double.PositiveInfinity], [1, 1]);
        Assert.True(double.IsPositiveInfinity(GradientClipping.ClipGradNorm([a, b], maxNorm: 1)));
        b.Grad = Tensor.FromArray([double.NaN], [1, 1]);
        Assert.True(double.IsNaN(GradientClipping.ClipGradNorm([a, b], maxNorm: 1)));
    }

    [Fact]
    public void On_the_device_the_norm_stays_a_tensor_and_scales_as_on_the_host()
    {
        using var scope = DisposeScope.Enter();
        var (a, b) = Parameters();
        var norm = GradientClipping.ClipGradNormOnDevice([a, b], maxNorm: 10.4);
        Assert.Equal((DType.Float32, 0), (norm.DType, norm.Shape.Length));
        // f32 arithmetic on the device: the same factor 10.4 / (13 + 1e-6) as by hand, to f32's precision.
        Expect.Close(13, norm.ToDouble(), 1e-6, "norm before clipping");
        Expect.Close([2.4, 3.2], a.Grad!, 1e-6, "a scaled");
        Expect.Close([9.6], b.Grad!, 1e-6, "b scaled");
        // Below the bound the factor is clamped to 1: the gradients are multiplied by exactly 1.
        Expect.Close(10.4, GradientClipping.ClipGradNormOnDevice([a, b], maxNorm: 100).ToDouble(), 1e-5, "norm after clipping");
        Expect.Close([2.4, 3.2], a.Grad!, 1e-6, "a unchanged");
        var bare = Tensor.Zeros([3], DType.Float64).RequiringGrad();
        Assert.Equal(0.0, GradientClipping.ClipGradNormOnDevice([bare], maxNorm: 1).ToDouble());
        b.Grad = Tensor.FromArray([double.NaN], [1, 1]);
        Assert.True(double.IsNaN(GradientClipping.ClipGradNormOnDevice([a, b], maxNorm: 1).ToDouble()));
    }
}
