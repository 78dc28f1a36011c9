using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Torch;

public class ScopeTests
{
    [Fact]
    public void Scope_disposes_what_it_created_and_keeps_what_moved_out()
    {
        Tensor kept, dropped;
        using (var outer = DisposeScope.Enter())
        {
            using (var inner = DisposeScope.Enter())
            {
                dropped = Tensor.Ones([2, 2]);
                kept = inner.MoveToOuter(dropped * 3);
            }
            Assert.True(dropped.IsDisposed);
            Assert.False(kept.IsDisposed);
            Assert.Equal([3f, 3f, 3f, 3f], kept.ToArray<float>());
        }
        Assert.True(kept.IsDisposed);
    }

    [Fact]
    public void Detached_tensor_outlives_every_scope()
    {
        Tensor t;
        using (DisposeScope.Enter())
            t = DisposeScope.Detach(Tensor.Arange(4));
        Assert.Equal([0L, 1, 2, 3], t.ToArray<long>());
        t.Dispose();
        Assert.True(t.IsDisposed);
    }
}
