using System.Runtime.InteropServices;

namespace LongRecipe.Engine.Torch.Interop;

// nn.cpp: matmul/linear, embedding, softmax, cross-entropy, attention and its kernels.
internal static partial class Native
{
    [LibraryImport(Library)] internal static partial int lr_matmul(TensorHandle a, TensorHandle b, out nint result);
    [LibraryImport(Library)] internal static partial int lr_linear(TensorHandle x, TensorHandle weight, TensorHandle bias, out nint result);
    [LibraryImport(Library)] internal static partial int lr_addmm_(TensorHandle self, TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] internal static partial int lr_embedding(TensorHandle weight, TensorHandle ids, out nint result);
    [LibraryImport(Library)] internal static partial int lr_rms_norm(TensorHandle x, TensorHandle weight, double eps, out nint result);
    [LibraryImport(Library)] internal static partial int lr_softmax(TensorHandle x, long dim, out nint result);
    [LibraryImport(Library)] internal static partial int lr_log_softmax(TensorHandle x, long dim, out nint result);
    [LibraryImport(Library)] internal static partial int lr_cross_entropy(TensorHandle logits, TensorHandle targets, long ignoreIndex, int reduction, out nint result);
    [LibraryImport(Library)] internal static partial int lr_set_attention_backends(int flash, int memoryEfficient, int cudnn, int math);
    [LibraryImport(Library)] internal static partial int lr_attention(TensorHandle q, TensorHandle k, TensorHandle v, TensorHandle mask, int isCausal, double scale, int enableGqa, out nint result);
}
