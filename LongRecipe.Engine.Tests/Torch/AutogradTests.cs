using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Torch;

/// <summary>Gradient tracking, backward, accumulation, clearing, detaching and no-grad scopes.</summary>
public class AutogradTests
{
    private const double Tight = 1e-12;

    [Fact]
    public void RequiresGrad_is_off_by_default_and_spreads_to_results()
    {
        using var scope = DisposeScope.Enter();
        var x = Tensor.FromArray([1.0, 2]);
        Assert.False(x.RequiresGrad);
        Assert.Null(x.Grad);
        Assert.Same(x, x.RequiringGrad());
        Assert.True(x.RequiresGrad);
        Assert.True((x * 2).RequiresGrad);
        Assert.False((Tensor.FromArray([1.0]) * 2).RequiresGrad);
        x.RequiresGrad = false;
        Assert.False(x.RequiresGrad);
        // Only floating-point tensors can require gradients.
        Assert.Throws<TorchException>(() => Tensor.FromArray([1L]).RequiresGrad = true);
    }

    [Fact]
    public void Backward_computes_the_gradient_and_repeats_accumulate()
    {
        using var scope = DisposeScope.Enter();
        var x = Tensor.FromArray([1.0, -2, 3]).RequiringGrad();

        // d/dx Σ x³ = 3x².
        (x * x * x).Sum().Backward();
        Expect.Close([3, 12, 27], x.Grad!, Tight, "first backward");

        // A second graph adds its gradient, d/dx Σ 2x = 2, to the first.
        (x * 2).Sum().Backward();
        Expect.Close([5, 14, 29], x.Grad!, Tight, "accumulated");

        x.Grad = null;
        Assert.Null(x.Grad);
        (x * 2).Sum().Backward();
        Expect.Close([2, 2, 2], x.Grad!, Tight, "after clearing");

        // Setting a gradient replaces it; the next backward adds to it.
        x.Grad = Tensor.FromArray([100.0, 100, 100]);
        x.Sum().Backward();
        Expect.Close([101, 101, 101], x.Grad!, Tight, "added to a set gradient");
    }

    [Fact]
    public void Backward_through_a_kept_graph_twice_doubles_the_gradient()
    {
        using var scope = DisposeScope.Enter();
        var x = Tensor.FromArray([0.5, 1.5]).RequiringGrad();
        var y = x.Square().Sum();
        y.Backward(retainGraph: true);
        y.Backward();
        Expect.Close([2, 6], x.Grad!, Tight, "2 · 2x");
        // Without retaining, the graph's buffers are gone after the first pass.
        var z = x.Exp().Sum();
        z.Backward();
        Assert.Throws<TorchException>(() => z.Backward());
    }

    [Fact]
    public void Backward_of_a_vector_takes_the_output_gradient()
    {
        using var scope = DisposeScope.Enter();
        var x = Tensor.FromArray([1.0, 2, 3]).RequiringGrad();
        var y = x * x;
        // A non-scalar output needs a seed: the gradient is seed · 2x.
        Assert.Throws<TorchException>(() => y.Backward());
        y.Backward(Tensor.FromArray([1.0, 0, -1]));
        Expect.Close([2, 0, -6], x.Grad!, Tight, "seeded backward");
    }

    [Fact]
    public void Gradients_flow_through_matmul_and_views()
    {
        using var scope = DisposeScope.Enter();
        var w = Tensor.FromArray([1.0, 2, 3, 4], [2, 2]).RequiringGrad();
        var x = Tensor.FromArray([1.0, -1], [2, 1]);
        // y = Σ (W x) = Σ_i Σ_j W_ij x_j, so ∂y/∂W_ij = x_j.
        Functional.MatMul(w, x).Sum().Backward();
        Expect.Close([1, -1, 1, -1], w.Grad!, Tight, "d Σ(Wx) / dW");

        var v = Tensor.FromArray([1.0, 2, 3, 4]).RequiringGrad();
        // Only the elements a view reaches get a gradient.
        v.Reshape(2, 2).Select(0, 1).Sum().Backward();
        Expect.Close([0, 0, 1, 1], v.Grad!, Tight, "gradient of a view");
    }

    [Fact]
    public void Detach_cuts_the_graph_but_shares_the_storage()
    {
        using var scope = DisposeScope.Enter();
        var x = Tensor.FromArray([1.0, 2]).RequiringGrad();
        var d = x.Detach();
        Assert.False(d.RequiresGrad);
        Expect.Close([1, 2], d, Tight, "detached values");
        // x · detach(x) differentiates as x · constant.
        (x * d).Sum().Backward();
        Expect.Close([1, 2], x.Grad!, Tight, "d(x · c)/dx = c");
        using (new NoGradScope())
            x.Fill(5);
        Expect.Close([5, 5], d, Tight, "a write to x shows in its detached view");
    }

    [Fact]
    public void NoGradScope_stops_recording_and_restores_what_was_there()
    {
        using var scope = DisposeScope.Enter();
        var x = Tensor.FromArray([1.0]).RequiringGrad();
        Assert.True(NoGradScope.IsEnabled);
        using (new NoGradScope())
        {
            Assert.False(NoGradScope.IsEnabled);
            Assert.False((x * 2).RequiresGrad);
            using (new NoGradScope())
                Assert.False(NoGradScope.IsEnabled);
            // The inner scope restores "off", not "on".
            Assert.False(NoGradScope.IsEnabled);
        }
        Assert.True(NoGradScope.IsEnabled);
        Assert.True((x * 2).RequiresGrad);
    }

    [Fact]
    public void Grad_mode_is_per_thread()
    {
        using (new NoGradScope())
        {
            var elsewhere = false;
            var thread = new Thread(() => elsewhere = NoGradScope.IsEnabled);
            thread.Start();
            thread.Join();
            Assert.True(elsewhere);
        }
    }
}
