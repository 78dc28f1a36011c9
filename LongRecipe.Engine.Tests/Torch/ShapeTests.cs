using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Torch;

/// <summary>Views, shape changes, joining and indexing, on small i64 tensors whose values name their positions.</summary>
public class ShapeTests
{
    /// <summary>0 … n−1 in the given shape: element (i, j, k) of [a, b, c] is i·b·c + j·c + k.</summary>
    private static Tensor Count(params long[] shape) => Tensor.Arange(shape.Aggregate(1L, (a, b) => a * b)).Reshape(shape);

    [Fact]
    public void Reshape_and_View_keep_row_major_order()
    {
        using var scope = DisposeScope.Enter();
        var x = Count(2, 3);
        var r = x.Reshape(3, -1);
        Expect.Shape([3, 2], r, "reshape");
        Assert.Equal([0L, 1, 2, 3, 4, 5], r.ToArray<long>());
        Expect.Shape([6], x.View(6), "view");
        Expect.Shape([1, 2, 3], x.View(1, -1, 3), "view with −1");
        // A transposed tensor has no view as [6]; Reshape copies instead.
        Assert.Throws<TorchException>(() => x.Transpose(0, 1).View(6));
        Assert.Equal([0L, 3, 1, 4, 2, 5], x.Transpose(0, 1).Reshape(6).ToArray<long>());
    }

    [Fact]
    public void Permute_moves_dimensions()
    {
        using var scope = DisposeScope.Enter();
        var x = Count(2, 3, 4);
        var p = x.Permute(2, 0, 1);
        Expect.Shape([4, 2, 3], p, "permute");
        // p[k, i, j] = x[i, j, k] = 12i + 4j + k.
        var expected = new List<long>();
        for (var k = 0; k < 4; k++)
            for (var i = 0; i < 2; i++)
                for (var j = 0; j < 3; j++)
                    expected.Add(12 * i + 4 * j + k);
        Assert.Equal(expected, p.ToArray<long>());
    }

    [Fact]
    public void Transpose_swaps_two_dimensions()
    {
        using var scope = DisposeScope.Enter();
        var t = Count(2, 3).Transpose(0, 1);
        Expect.Shape([3, 2], t, "transpose");
        Assert.Equal([0L, 3, 1, 4, 2, 5], t.ToArray<long>());
        Assert.Equal([0L, 3, 1, 4, 2, 5], Count(2, 3).Transpose(-1, -2).ToArray<long>());
    }

    [Fact]
    public void Unsqueeze_Squeeze_and_Flatten_change_only_the_shape()
    {
        using var scope = DisposeScope.Enter();
        var x = Count(2, 3);
        Expect.Shape([1, 2, 3], x.Unsqueeze(0), "unsqueeze 0");
        Expect.Shape([2, 3, 1], x.Unsqueeze(-1), "unsqueeze −1");
        Expect.Shape([2, 3], x.Unsqueeze(1).Squeeze(1), "squeeze");
        // Squeezing a dimension that is not 1 leaves it.
        Expect.Shape([2, 3], x.Squeeze(0), "squeeze of size 2");
        Expect.Shape([6], x.Flatten(), "flatten");
        var y = Count(2, 3, 4);
        Expect.Shape([2, 12], y.Flatten(1), "flatten from 1");
        Expect.Shape([6, 4], y.Flatten(0, 1), "flatten 0..1");
        Assert.Equal(Enumerable.Range(0, 24).Select(i => (long)i), y.Flatten().ToArray<long>());
    }

    [Fact]
    public void Expand_broadcasts_size_one_dimensions_without_copying()
    {
        using var scope = DisposeScope.Enter();
        var column = Tensor.FromArray([1L, 2, 3], [3, 1]);
        var e = column.Expand(3, 4);
        Expect.Shape([3, 4], e, "expand");
        Assert.Equal([1L, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3], e.ToArray<long>());
        Expect.Shape([3, 2], column.Expand(-1, 2), "expand keeping −1");
        Expect.Shape([2, 3, 4], column.Expand(2, 3, 4), "expand adding a dimension");
        Assert.False(e.IsContiguous);
        Assert.Throws<TorchException>(() => column.Expand(4, 4));
    }

    [Fact]
    public void ViewAs_reads_the_same_bytes_as_another_dtype()
    {
        using var scope = DisposeScope.Enter();
        // IEEE 754 single: 1.0 is 0x3F800000, −2.0 is 0xC0000000, 0.5 is 0x3F000000.
        var x = Tensor.FromArray([1f, -2f, 0.5f]);
        var bits = x.ViewAs(DType.Int32);
        Assert.Equal([0x3F800000, unchecked((int)0xC0000000), 0x3F000000], bits.ToArray<int>());
        // A view: writing the bits of 3.0 (0x40400000) changes the floats.
        bits.Narrow(0, 0, 1).Fill(0x40400000);
        Assert.Equal([3f, -2f, 0.5f], x.ToArray<float>());
        Assert.Contains("size", Assert.Throws<TorchException>(() => x.ViewAs(DType.Int64)).Message);
    }

    [Fact]
    public void Slice_Narrow_and_Select_cut_views()
    {
        using var scope = DisposeScope.Enter();
        var x = Count(2, 4);
        Assert.Equal([0L, 2, 4, 6], x.Slice(1, 0, 4, 2).ToArray<long>());
        Assert.Equal([1L, 2, 3, 5, 6, 7], x.Slice(1, 1, 4).ToArray<long>());
        Assert.Equal([2L, 3, 6, 7], x.Slice(1, -2, 4).ToArray<long>());
        Assert.Equal([1L, 2, 5, 6], x.Narrow(1, 1, 2).ToArray<long>());
        // As torch.narrow: a negative start counts from the end.
        Assert.Equal([2L, 3, 6, 7], x.Narrow(1, -2, 2).ToArray<long>());
        // A slice past the end is cut short; a narrow past the end is an error.
        Assert.Equal([2L, 3, 6, 7], x.Slice(1, 2, 10).ToArray<long>());
        Assert.Contains("exceeds dimension size", Assert.Throws<TorchException>(() => x.Narrow(1, 2, 3)).Message);
        var row = x.Select(0, 1);
        Expect.Shape([4], row, "select drops the dimension");
        Assert.Equal([4L, 5, 6, 7], row.ToArray<long>());
        Assert.Equal([3L, 7], x.Select(1, -1).ToArray<long>());

        // They are views: writing through one changes the source.
        x.Select(0, 0).Narrow(0, 1, 2).Fill(-1);
        Assert.Equal([0L, -1, -1, 3, 4, 5, 6, 7], x.ToArray<long>());
    }

    [Fact]
    public void Triu_and_Tril_keep_a_triangle()
    {
        using var scope = DisposeScope.Enter();
        var ones = Tensor.Ones([3, 3], DType.Int64);
        Assert.Equal([1L, 1, 1, 0, 1, 1, 0, 0, 1], ones.Triu().ToArray<long>());
        Assert.Equal([0L, 1, 1, 0, 0, 1, 0, 0, 0], ones.Triu(1).ToArray<long>());
        Assert.Equal([1L, 0, 0, 1, 1, 0, 1, 1, 1], ones.Tril().ToArray<long>());
        Assert.Equal([0L, 0, 0, 1, 0, 0, 1, 1, 0], ones.Tril(-1).ToArray<long>());
        // Over the last two dimensions of a batch.
        Assert.Equal([1L, 1, 0, 1, 1, 1, 0, 1], Tensor.Ones([2, 2, 2], DType.Int64).Triu().ToArray<long>());
    }

    [Fact]
    public void RepeatInterleave_repeats_each_slice_in_place()
    {
        using var scope = DisposeScope.Enter();
        Assert.Equal([1L, 1, 2, 2, 3, 3], Tensor.FromArray([1L, 2, 3]).RepeatInterleave(2, 0).ToArray<long>());
        var x = Count(2, 2);
        var r = x.RepeatInterleave(3, 1);
        Expect.Shape([2, 6], r, "repeat along 1");
        Assert.Equal([0L, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3], r.ToArray<long>());
        Assert.Equal([0L, 1, 0, 1, 2, 3, 2, 3], x.RepeatInterleave(2, 0).ToArray<long>());
    }

    [Fact]
    public void Cat_joins_along_a_dimension_and_Stack_adds_one()
    {
        using var scope = DisposeScope.Enter();
        var a = Count(2, 2);
        var b = Count(2, 2) + 10;
        var rows = Tensor.Cat([a, b]);
        Expect.Shape([4, 2], rows, "cat 0");
        Assert.Equal([0L, 1, 2, 3, 10, 11, 12, 13], rows.ToArray<long>());
        var columns = Tensor.Cat([a, b], 1);
        Expect.Shape([2, 4], columns, "cat 1");
        Assert.Equal([0L, 1, 10, 11, 2, 3, 12, 13], columns.ToArray<long>());
        Expect.Shape([2, 5], Tensor.Cat([a, Count(2, 3)], -1), "cat of unequal widths");

        var stacked = Tensor.Stack([a, b]);
        Expect.Shape([2, 2, 2], stacked, "stack 0");
        Assert.Equal([0L, 1, 2, 3, 10, 11, 12, 13], stacked.ToArray<long>());
        var inner = Tensor.Stack([a, b], 2);
        Expect.Shape([2, 2, 2], inner, "stack 2");
        Assert.Equal([0L, 10, 1, 11, 2, 12, 3, 13], inner.ToArray<long>());
        Assert.Throws<TorchException>(() => Tensor.Stack([a, Count(2, 3)]));
    }

    [Fact]
    public void Gather_picks_per_row_and_Scatter_writes_per_row()
    {
        using var scope = DisposeScope.Enter();
        var x = Tensor.FromArray([10L, 11, 12, 20, 21, 22], [2, 3]);
        var index = Tensor.FromArray([2L, 0, 1, 1], [2, 2]);
        // out[i][j] = x[i][index[i][j]].
        Assert.Equal([12L, 10, 21, 21], x.Gather(1, index).ToArray<long>());
        // out[i][j] = x[index[i][j]][j] along dim 0.
        Assert.Equal([20L, 11, 10, 21], x.Gather(0, Tensor.FromArray([1L, 0, 0, 1], [2, 2])).ToArray<long>());

        var source = Tensor.FromArray([1L, 2, 3, 4], [2, 2]);
        var zeros = Tensor.Zeros([2, 3], DType.Int64);
        // out[i][index[i][j]] = source[i][j]; the source is left as it was.
        var scattered = zeros.Scatter(1, Tensor.FromArray([2L, 0, 0, 2], [2, 2]), source);
        Assert.Equal([2L, 0, 1, 3, 0, 4], scattered.ToArray<long>());
        Assert.All(zeros.ToArray<long>(), v => Assert.Equal(0, v));

        // Repeated indices accumulate.
        var added = Tensor.Ones([2, 3], DType.Int64).ScatterAdd(1, index, source);
        Assert.Equal([3L, 1, 2, 1, 8, 1], added.ToArray<long>());
    }

    [Fact]
    public void IndexSelect_MaskedSelect_and_Nonzero_index()
    {
        using var scope = DisposeScope.Enter();
        var x = Count(3, 2);
        var rows = x.IndexSelect(0, Tensor.FromArray([2L, 0, 2]));
        Expect.Shape([3, 2], rows, "index_select rows");
        Assert.Equal([4L, 5, 0, 1, 4, 5], rows.ToArray<long>());
        Assert.Equal([1L, 3, 5], x.IndexSelect(1, Tensor.FromArray([1L])).Flatten().ToArray<long>());

        var mask = Tensor.FromArray([true, false, false, true, true, false], [3, 2]);
        Assert.Equal([0L, 3, 4], x.MaskedSelect(mask).ToArray<long>());
        // A broadcast mask: column 1 of every row.
        Assert.Equal([1L, 3, 5], x.MaskedSelect(Tensor.FromArray([false, true])).ToArray<long>());

        var nonzero = Tensor.FromArray([0L, 5, 0, 0, 7, 8], [2, 3]).Nonzero();
        Expect.Shape([3, 2], nonzero, "nonzero");
        Assert.Equal([0L, 1, 1, 1, 1, 2], nonzero.ToArray<long>());
    }
}
