namespace LongRecipe.Engine.Torch.Interop;

/// <summary>
/// The raw handles of several tensors, for exports that take an array of them. Each handle is
/// referenced until Dispose, so no tensor can be freed while native code reads the array.
/// </summary>
internal readonly struct HandleArray : IDisposable
{
    private readonly TensorHandle[] handles;
    private readonly bool[] referenced;

    public nint[] Pointers { get; }

    public HandleArray(IReadOnlyList<Tensor> tensors)
    {
        handles = new TensorHandle[tensors.Count];
        referenced = new bool[tensors.Count];
        Pointers = new nint[tensors.Count];
        try
        {
            for (var i = 0; i < tensors.Count; i++)
            {
                handles[i] = tensors[i].Handle;
                handles[i].DangerousAddRef(ref referenced[i]);
                Pointers[i] = handles[i].DangerousGetHandle();
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        for (var i = 0; i < handles.Length; i++)
            if (referenced[i]) handles[i].DangerousRelease();
    }
}
