using LongRecipe.Engine.Torch.Interop;

namespace LongRecipe.Engine.Torch;

// Views, shape changes, joining and indexing. Views share storage with their source.
public sealed partial class Tensor
{
    /// <summary>The same elements in a new shape (a view when possible); one dimension may be −1.</summary>
    public Tensor Reshape(params long[] shape) => Wrap(Native.lr_reshape(Handle, shape, shape.Length, out var r), r);

    /// <summary>A view in a new shape; fails where the strides do not allow one.</summary>
    public Tensor View(params long[] shape) => Wrap(Native.lr_view(Handle, shape, shape.Length, out var r), r);

    /// <summary>The same bytes read as <paramref name="dtype"/>, of the same element size (f32 as i32, say); no copy.</summary>
    public Tensor ViewAs(DType dtype) => Wrap(Native.lr_view_dtype(Handle, (int)dtype, out var r), r);

    public Tensor Permute(params long[] order) => Wrap(Native.lr_permute(Handle, order, order.Length, out var r), r);

    public Tensor Transpose(long dim0, long dim1) => Wrap(Native.lr_transpose(Handle, dim0, dim1, out var r), r);

    public Tensor Unsqueeze(long dim) => Wrap(Native.lr_unsqueeze(Handle, dim, out var r), r);

    public Tensor Squeeze(long dim) => Wrap(Native.lr_squeeze(Handle, dim, out var r), r);

    public Tensor Flatten(long start = 0, long end = -1) => Wrap(Native.lr_flatten(Handle, start, end, out var r), r);

    /// <summary>Broadcasts size-1 dimensions to <paramref name="shape"/> without copying; −1 keeps a size.</summary>
    public Tensor Expand(params long[] shape) => Wrap(Native.lr_expand(Handle, shape, shape.Length, out var r), r);

    /// <summary>A copy with the elements in reverse order along each of <paramref name="dims"/>.</summary>
    public Tensor Flip(params long[] dims) => Wrap(Native.lr_flip(Handle, dims, dims.Length, out var r), r);

    /// <summary>Repeats each slice along <paramref name="dim"/> <paramref name="repeats"/> times in place (a a b b, not a b a b).</summary>
    public Tensor RepeatInterleave(long repeats, long dim) => Wrap(Native.lr_repeat_interleave(Handle, repeats, dim, out var r), r);

    /// <summary>Elements start, start + step, … below end along a dimension (a view).</summary>
    public Tensor Slice(long dim, long start, long end, long step = 1) => Wrap(Native.lr_slice(Handle, dim, start, end, step, out var r), r);

    /// <summary>
    /// <paramref name="length"/> elements from <paramref name="start"/> along a dimension (a view), as torch.narrow:
    /// a negative start counts from the end, and a range past the end is an error rather than cut short.
    /// </summary>
    public Tensor Narrow(long dim, long start, long length) => Wrap(Native.lr_narrow(Handle, dim, start, length, out var r), r);

    /// <summary>The slice at <paramref name="index"/> along <paramref name="dim"/>, which disappears (a view).</summary>
    public Tensor Select(long dim, long index) => Wrap(Native.lr_select(Handle, dim, index, out var r), r);

    /// <summary>Keeps elements on and above the <paramref name="diagonal"/>-th diagonal of the last two dimensions.</summary>
    public Tensor Triu(long diagonal = 0) => Wrap(Native.lr_triangle(Handle, diagonal, 1, out var r), r);

    /// <summary>Keeps elements on and below the <paramref name="diagonal"/>-th diagonal of the last two dimensions.</summary>
    public Tensor Tril(long diagonal = 0) => Wrap(Native.lr_triangle(Handle, diagonal, 0, out var r), r);

    public static Tensor Cat(IReadOnlyList<Tensor> tensors, long dim = 0) => Join(tensors, dim, stack: false);

    public static Tensor Stack(IReadOnlyList<Tensor> tensors, long dim = 0) => Join(tensors, dim, stack: true);

    private static Tensor Join(IReadOnlyList<Tensor> tensors, long dim, bool stack)
    {
        using var handles = new HandleArray(tensors);
        var status = stack
            ? Native.lr_stack(handles.Pointers, tensors.Count, dim, out var joined)
            : Native.lr_cat(handles.Pointers, tensors.Count, dim, out joined);
        return Wrap(status, joined);
    }

    // ---- indexing -----------------------------------------------------------

    /// <summary>Slices along <paramref name="dim"/> at the i64 <paramref name="index"/> entries.</summary>
    public Tensor IndexSelect(long dim, Tensor index) => Wrap(Native.lr_index_select(Handle, dim, index.Handle, out var r), r);

    /// <summary>out[i][j] = this[i][index[i][j]] for dim 1 (and likewise for other dims).</summary>
    public Tensor Gather(long dim, Tensor index) => Wrap(Native.lr_gather(Handle, dim, index.Handle, out var r), r);

    /// <summary>A copy with out[i][index[i][j]] = source[i][j] for dim 1 (and likewise for other dims).</summary>
    public Tensor Scatter(long dim, Tensor index, Tensor source) =>
        Wrap(Native.lr_scatter(Handle, dim, index.Handle, source.Handle, 0, out var r), r);

    /// <summary>A copy with out[i][index[i][j]] += source[i][j] for dim 1; repeated indices accumulate.</summary>
    public Tensor ScatterAdd(long dim, Tensor index, Tensor source) =>
        Wrap(Native.lr_scatter(Handle, dim, index.Handle, source.Handle, 1, out var r), r);

    /// <summary>The elements where the boolean mask is true, as a vector.</summary>
    public Tensor MaskedSelect(Tensor mask) => Wrap(Native.lr_masked_select(Handle, mask.Handle, out var r), r);

    /// <summary>Indices of non-zero elements, [count, dim].</summary>
    public Tensor Nonzero() => Wrap(Native.lr_nonzero(Handle, out var r), r);
}
