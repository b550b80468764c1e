using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.InteropServices;
using EpollTransport.SendFile;
using EpollTransport.Tests.Infrastructure;

namespace EpollTransport.Tests;

/// <summary>
/// Copied file bodies read from the page cache on the calling thread and hand only reads that would wait for the
/// disk to the thread pool. Which one happened shows in the returned task: a read on the pool cannot have finished
/// by the time the call returns, one from the page cache always has.
/// </summary>
public sealed partial class FileHandleCopyTests : IDisposable
{
    private const int PosixFadviseDontNeed = 4;
    private readonly string _directory = Directory.CreateTempSubdirectory("epoll-copy-").FullName;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AFileNotInThePageCacheIsReadOnThePoolAndArrivesIntact(bool copyWithFlushes)
    {
        const int length = 1024 * 1024;
        const long offset = 12345;
        string path = Path.Combine(_directory, "cold.bin");
        var content = new byte[length];
        new Random(7).NextBytes(content);
        await File.WriteAllBytesAsync(path, content);

        using var file = File.OpenHandle(path);
        EvictFromPageCache(file);

        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        long count = length - offset;
        bool wentToThePool;
        if (copyWithFlushes)
        {
            var copy = FileHandleCopy.CopyAsync(file, offset, count, pipe.Writer, CancellationToken.None);
            wentToThePool = !copy.IsCompleted;
            await copy.WaitAsync(TestTimeouts.Operation);
        }
        else
        {
            var read = FileHandleCopy.ReadIntoAsync(file, offset, count, pipe.Writer, CancellationToken.None);
            wentToThePool = !read.IsCompleted;
            long missing = await read.AsTask().WaitAsync(TestTimeouts.Operation);
            Assert.Equal(0, missing);
            await pipe.Writer.FlushAsync();
        }

        await pipe.Writer.CompleteAsync();
        var result = await pipe.Reader.ReadAtLeastAsync(int.MaxValue);
        Assert.Equal(content.AsSpan((int)offset).ToArray(), BuffersExtensions.ToArray(result.Buffer));
        Assert.True(wentToThePool, "Every read completed on the calling thread: none was handed to the thread pool.");
    }

    [Fact]
    public async Task ACachedFileIsReadWithoutTheThreadPool()
    {
        string path = Path.Combine(_directory, "hot.bin");
        var content = new byte[64 * 1024];
        new Random(8).NextBytes(content);
        await File.WriteAllBytesAsync(path, content);
        using var file = File.OpenHandle(path);
        _ = RandomAccess.Read(file, new byte[content.Length], 0); // Just written, and now certainly cached.

        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        var read = FileHandleCopy.ReadIntoAsync(file, 0, content.Length, pipe.Writer, CancellationToken.None);

        Assert.True(read.IsCompletedSuccessfully, "A read from the page cache went asynchronous.");
        Assert.Equal(0, await read);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ACopyThroughTheThreadsBufferArrivesIntactInRecordSizedPieces(bool cold)
    {
        const int length = (3 * 64 * 1024) + 4321; // several chunks and a short last one
        string path = Path.Combine(_directory, "buffered.bin");
        var content = new byte[length];
        new Random(9).NextBytes(content);
        await File.WriteAllBytesAsync(path, content);
        using var file = File.OpenHandle(path);
        if (cold)
        {
            EvictFromPageCache(file); // the first read would wait for the disk: that chunk goes the direct way
        }

        // A pool of 4 KiB blocks, as Kestrel's: the copy asks the writer for pieces of one TLS record's payload
        // (16 KiB), so a TLS layer that encrypts each piece it is given as one record sends full-size records.
        var pool = new CountingMemoryPool();
        var pipe = new Pipe(new PipeOptions(pool, pauseWriterThreshold: 0, minimumSegmentSize: pool.MaxBufferSize));
        await FileHandleCopy.CopyAsync(file, 0, length, pipe.Writer, CancellationToken.None, throughBuffer: true)
            .WaitAsync(TestTimeouts.Operation);
        await pipe.Writer.CompleteAsync();

        var result = await pipe.Reader.ReadAtLeastAsync(int.MaxValue);
        Assert.Equal(content, BuffersExtensions.ToArray(result.Buffer));
        if (!cold)
        {
            var pieces = new List<int>();
            foreach (var segment in result.Buffer)
            {
                pieces.Add(segment.Length);
            }

            // Every piece but the file's last is a whole record: 12 of 16 KiB, then the 4,321 bytes left.
            Assert.Equal([.. Enumerable.Repeat(16 * 1024, length / (16 * 1024)), length % (16 * 1024)], pieces);
        }

        pipe.Reader.AdvanceTo(result.Buffer.End);
        await pipe.Reader.CompleteAsync();
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static void EvictFromPageCache(Microsoft.Win32.SafeHandles.SafeFileHandle file)
    {
        int fd = (int)file.DangerousGetHandle();
        Assert.Equal(0, FileDataSync(fd)); // Only clean pages can be dropped.
        Assert.Equal(0, PosixFadvise(fd, 0, 0, PosixFadviseDontNeed));
    }

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int FileDataSync(int fd);

    [LibraryImport("libc", EntryPoint = "posix_fadvise")]
    private static partial int PosixFadvise(int fd, long offset, long length, int advice);
}
