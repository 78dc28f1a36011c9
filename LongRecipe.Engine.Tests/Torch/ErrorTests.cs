using System.Text.RegularExpressions;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Torch;

/// <summary>
/// Failures inside libtorch come back as a TorchException carrying libtorch's message and the
/// shim file and line that caught it, and the process carries on as before.
/// </summary>
public class ErrorTests
{
    /// <summary>
    /// Runs a failing call and checks the message, the shim location, and that tensors still work
    /// afterwards. Fragments ignore case: libtorch versions word the same failure differently
    /// ("expected scalar type Float" in 1.13, "float != long int" in 2.x).
    /// </summary>
    private static void Fails(Action call, string fragment, string file)
    {
        using var scope = DisposeScope.Enter();
        var error = Assert.Throws<TorchException>(call);
        Assert.Contains(fragment, error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Matches($@" \[{Regex.Escape(file)}:\d+\]$", error.Message);
        // The same thread goes on computing.
        Assert.Equal(4.0, (Tensor.Ones([2]) + Tensor.Ones([2])).Sum().ToDouble());
    }

    [Fact]
    public void Shape_mismatch()
    {
        Fails(() => Functional.MatMul(Tensor.Ones([2, 3]), Tensor.Ones([2, 3])), "cannot be multiplied", "nn.cpp");
        Fails(() => _ = Tensor.Ones([2, 3]) + Tensor.Ones([4]), "must match the size", "math.cpp");
        Fails(() => Tensor.Ones([6]).View(4, -1), "invalid for input of size 6", "shape.cpp");
    }

    [Fact]
    public void Dtype_mismatch()
    {
        Fails(() => Functional.MatMul(Tensor.Ones([2, 2]), Tensor.Ones([2, 2], DType.Int64)), "float", "nn.cpp");
        Fails(() => Functional.Embedding(Tensor.Ones([4, 2]), Tensor.Zeros([3])), "indices", "nn.cpp");
    }

    [Fact]
    public void Index_out_of_range()
    {
        Fails(() => Tensor.Ones([3, 2]).IndexSelect(0, Tensor.FromArray([0L, 3])), "out of range", "shape.cpp");
        Fails(() => Functional.Embedding(Tensor.Ones([4, 2]), Tensor.FromArray([1L, 4])), "out of range", "nn.cpp");
        Fails(() => Tensor.Ones([3]).Select(0, 5), "out of range", "shape.cpp");
        Fails(() => Functional.CrossEntropy(Tensor.Ones([2, 3]), Tensor.FromArray([0L, 3])), "out of bounds", "nn.cpp");
    }

    [Fact]
    public void A_device_that_is_not_there()
    {
        // Without a GPU cuda:0 is missing; with GPUs, the one past the last.
        var missing = Device.Cuda(TorchRuntime.CudaDeviceCount);
        Fails(() => Tensor.Zeros([2], device: missing), "CUDA", "tensor.cpp");
        Fails(() => Tensor.Ones([2]).To(missing), "CUDA", "tensor.cpp");
        if (!TorchRuntime.BuiltWithCuda)
            Fails(() => TorchRuntime.CudaMemory(), "without CUDA", "runtime.cpp");
    }

    [Fact]
    public void An_allocation_larger_than_the_address_space_is_out_of_memory_on_any_host()
    {
        // 1 PiB: more than a process can map (128 TiB on x86-64), so it is refused even where memory is overcommitted.
        using var scope = DisposeScope.Enter();
        var error = Assert.Throws<TorchException>(() => Tensor.Empty([1L << 48]));
        Assert.True(TorchRuntime.IsOutOfMemory(error), error.Message);
        Fails(() => Tensor.Empty([1L << 48]), "1125899906842624 bytes", "tensor.cpp");
    }

    [Fact]
    public void Use_after_dispose()
    {
        using var scope = DisposeScope.Enter();
        var t = Tensor.Ones([2]);
        t.Dispose();
        Assert.True(t.IsDisposed);
        Assert.Contains("used after it was disposed", Assert.Throws<ObjectDisposedException>(() => t.Sum()).Message);
        Assert.Throws<ObjectDisposedException>(() => t.Shape);
        Assert.Throws<ObjectDisposedException>(() => Functional.Softmax(t, 0));
        Assert.Throws<ObjectDisposedException>(() => Tensor.Cat([Tensor.Ones([1]), t]));
        Assert.Equal("Tensor(disposed)", t.ToString());
        // Disposing twice is harmless.
        t.Dispose();
        Assert.Equal(2.0, Tensor.Ones([2]).Sum().ToDouble());
    }
}
