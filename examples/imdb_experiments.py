"""The tutorial's four IMDB experiments, written as the tutorial writes them, with numrnn.

What it teaches: the same Keras code runs on numrnn (only the imports change), and the
four models compare as in the chapter: a feed-forward baseline, an LSTM with one unit,
an LSTM with 32 units, and an LSTM whose every state feeds the classifier.

    NUMRNN_DATA=../shared/data python examples/imdb_experiments.py          # ~45 s
    NUMRNN_DATA=../shared/data python examples/imdb_experiments.py --quick  # 2 epochs, 5000 reviews

(``python -m numrnn.experiments imdb --seeds 3`` runs the same models over several seeds.)
"""

import argparse

from numrnn.callbacks import EarlyStopping
from numrnn.datasets import imdb
from numrnn.layers import LSTM, Dense, Embedding, Flatten
from numrnn.models import Sequential
from numrnn.optimizers import RMSprop
from numrnn.preprocessing.sequence import pad_sequences

parser = argparse.ArgumentParser(description="The tutorial's four IMDB experiments.")
parser.add_argument("--quick", action="store_true", help="5,000 reviews and 2 epochs")
args = parser.parse_args()
EPOCHS = 2 if args.quick else 30

# --- data: the last 20 words of every review -------------------------------------------
(x_train, y_train), (x_test, y_test) = imdb.load_data()
if args.quick:
    x_train, y_train, x_test, y_test = x_train[:5000], y_train[:5000], x_test[:5000], y_test[:5000]
MAXLEN = 20
x_train_seq = pad_sequences(x_train, MAXLEN)
x_test_seq = pad_sequences(x_test, MAXLEN)
NUM_WORDS = x_train_seq.max() + 1                              # 88579 on the full data
if args.quick:  # a subset of the training reviews may not contain the test set's largest id
    NUM_WORDS = max(NUM_WORDS, x_test_seq.max() + 1)
print("x_train_seq:", x_train_seq.shape, " NUM_WORDS:", NUM_WORDS)

results = {}

# --- 1. feed-forward: Embedding -> Flatten -> Dense ------------------------------------
ff = Sequential()
ff.add(Embedding(input_dim=NUM_WORDS, output_dim=8, input_length=MAXLEN))
ff.add(Flatten())
ff.add(Dense(1, activation='sigmoid'))
ff.summary()
ff.compile(optimizer=RMSprop(), loss='binary_crossentropy', metrics=['acc'])
history = ff.fit(x_train_seq, y_train, epochs=EPOCHS, batch_size=128, validation_split=0.2,
                 callbacks=[EarlyStopping(monitor='val_acc')], verbose=2)
results['ff'] = (ff, history)

# --- 2. LSTM with one unit and a sigmoid activation: its output is the probability -----
rnn = Sequential()
rnn.add(Embedding(input_dim=NUM_WORDS, output_dim=8, input_length=MAXLEN))
rnn.add(LSTM(1, activation='sigmoid', return_sequences=False))
rnn.summary()
rnn.compile(optimizer=RMSprop(), loss='binary_crossentropy', metrics=['accuracy'])
history = rnn.fit(x_train_seq, y_train, epochs=EPOCHS, batch_size=128, validation_split=0.2,
                  callbacks=[EarlyStopping(monitor='val_acc')], verbose=2)
results['lstm1'] = (rnn, history)

# --- 3. LSTM with 32 units, then a Dense classifier ------------------------------------
rnn2 = Sequential()
rnn2.add(Embedding(input_dim=NUM_WORDS, output_dim=8, input_length=MAXLEN))
rnn2.add(LSTM(32))
rnn2.add(Dense(1, activation='sigmoid'))
rnn2.summary()
rnn2.compile(optimizer=RMSprop(), loss='binary_crossentropy', metrics=['accuracy'])
history = rnn2.fit(x_train_seq, y_train, epochs=EPOCHS, batch_size=128, validation_split=0.2,
                   callbacks=[EarlyStopping(monitor='val_acc')], verbose=2)
results['lstm32'] = (rnn2, history)

# --- 4. every LSTM state to the classifier: return_sequences + Flatten -----------------
rnn3 = Sequential()
rnn3.add(Embedding(input_dim=NUM_WORDS, output_dim=8, input_length=MAXLEN))
rnn3.add(LSTM(4, return_sequences=True))
rnn3.add(Flatten())
rnn3.add(Dense(1, activation='sigmoid'))
rnn3.summary()
rnn3.compile(optimizer=RMSprop(), loss='binary_crossentropy', metrics=['accuracy'])
history = rnn3.fit(x_train_seq, y_train, epochs=EPOCHS, batch_size=128, validation_split=0.2,
                   callbacks=[EarlyStopping(monitor='val_acc')], verbose=2)
results['lstm4'] = (rnn3, history)

# --- comparison ----------------------------------------------------------------------
print(f"\n{'model':<8}{'params':>10}{'epochs':>8}{'best val_acc':>14}{'test acc':>10}")
for name, (model, history) in results.items():
    test_loss, test_acc = model.evaluate(x_test_seq, y_test, batch_size=128, verbose=0)
    print(f"{name:<8}{model.count_params():>10,}{len(history.epoch):>8}"
          f"{max(history.history['val_acc']):>14.4f}{test_acc:>10.4f}")
